using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Endpoints;

/// <summary>The model name clients use, and the 404 for any other.</summary>
public sealed class ServedModel(IOptions<GatewayOptions> options)
{
    public string Name { get; } = options.Value.ResolveServedModelName();

    public string OwnedBy { get; } = options.Value.OwnedBy;

    /// <summary>The served name when <paramref name="requested"/> is it (or absent); otherwise a 404.</summary>
    public string Check(string? requested)
    {
        if (requested is null || string.Equals(requested, Name, StringComparison.Ordinal))
        {
            return Name;
        }
        throw new ApiException(StatusCodes.Status404NotFound,
            $"The model '{requested}' does not exist or you do not have access to it.", ErrorTypes.InvalidRequest, "model", "model_not_found");
    }
}
