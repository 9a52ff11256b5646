using Platform.Gateway.Api;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the one served model.</summary>
internal static class ModelsEndpoint
{
    public static IResult List(IGenerationBackend backend, ServedModel served) =>
        TypedResults.Json(new ModelList([Card(backend, served)]), GatewayJsonContext.Default.ModelList);

    public static IResult Get(string id, IGenerationBackend backend, ServedModel served)
    {
        served.Check(id);
        return TypedResults.Json(Card(backend, served), GatewayJsonContext.Default.ModelCard);
    }

    private static ModelCard Card(IGenerationBackend backend, ServedModel served)
    {
        var model = backend.Model ?? throw new BackendUnavailableException(backend.NotReadyReason);
        return new ModelCard(served.Name, model.Created.ToUnixTimeSeconds(), served.OwnedBy, model.MaxModelLength);
    }
}
