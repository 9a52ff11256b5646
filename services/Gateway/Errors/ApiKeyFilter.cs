using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;

namespace Platform.Gateway.Errors;

/// <summary>Bearer API keys from <c>Gateway:ApiKeys</c>; with none configured the API is open.</summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private readonly byte[][] _keyHashes;

    public ApiKeyFilter(IOptions<GatewayOptions> options)
    {
        _keyHashes = [.. options.Value.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_keyHashes.Length > 0)
        {
            Check(context.HttpContext.Request.Headers.Authorization.ToString());
        }
        return next(context);
    }

    private void Check(string header)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            throw new ApiException(StatusCodes.Status401Unauthorized,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                ErrorTypes.InvalidRequest, null, "missing_api_key");
        }
        // Compare hashes in constant time: neither the key's length nor its prefix leaks through timing.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        bool match = false;
        foreach (var key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(given, key);
        }
        if (!match)
        {
            throw new ApiException(StatusCodes.Status401Unauthorized, "Incorrect API key provided.", ErrorTypes.InvalidRequest, null, "invalid_api_key");
        }
    }
}
