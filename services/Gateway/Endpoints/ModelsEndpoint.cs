using Platform.Gateway.Adapters;
using Platform.Gateway.Api;
using Platform.Gateway.Backend;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the served model and the LoRA adapters the caller may use.</summary>
internal static class ModelsEndpoint
{
    public static IResult List(HttpContext context, IGenerationBackend backend, ServedModel served, AdapterCatalog adapters)
    {
        var baseCard = Card(backend, served);
        var cards = new List<ModelCard> { baseCard };
        cards.AddRange(adapters.Visible(CallerIdentity.Of(context)).Select(a => AdapterCard(baseCard, a)));
        return TypedResults.Json(new ModelList(cards), GatewayJsonContext.Default.ModelList);
    }

    public static IResult Get(string id, HttpContext context, IGenerationBackend backend, ServedModel served, AdapterCatalog adapters)
    {
        if (!string.Equals(id, served.Name, StringComparison.Ordinal) && adapters.Find(id, CallerIdentity.Of(context)) is { } adapter)
        {
            return TypedResults.Json(AdapterCard(Card(backend, served), adapter), GatewayJsonContext.Default.ModelCard);
        }
        served.Check(id);
        return TypedResults.Json(Card(backend, served), GatewayJsonContext.Default.ModelCard);
    }

    private static ModelCard Card(IGenerationBackend backend, ServedModel served)
    {
        var model = backend.Model ?? throw new BackendUnavailableException(backend.NotReadyReason);
        return new ModelCard(served.Name, model.Created.ToUnixTimeSeconds(), served.OwnedBy, model.MaxModelLength);
    }

    private static ModelCard AdapterCard(ModelCard baseCard, ServedAdapter a) =>
        new(a.Name, a.Created.ToUnixTimeSeconds(), a.Tenant ?? baseCard.OwnedBy, baseCard.MaxModelLen) { Root = a.Path, Parent = baseCard.Id };
}
