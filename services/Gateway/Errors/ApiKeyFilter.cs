using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;

namespace Platform.Gateway.Errors;

/// <summary>
/// Bearer API keys from <c>Gateway:ApiKeys</c>, <c>Gateway:AdminApiKeys</c> and <c>Gateway:Tenants:{name}:ApiKeys</c>;
/// with none configured the API is open. The matched key's <see cref="CallerIdentity"/> travels with the request.
/// </summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private readonly (byte[] Hash, CallerIdentity Identity)[] _keys;

    public ApiKeyFilter(IOptions<GatewayOptions> options)
    {
        var o = options.Value;
        static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
        _keys =
        [
            // The first match wins: a key listed under a tenant and in ApiKeys as well belongs to the tenant.
            .. o.Tenants.SelectMany(t => t.Value.ApiKeys.Select(k => (Hash(k), new CallerIdentity(t.Key, false, t.Value.ManageAdapters)))),
            .. o.AdminApiKeys.Select(k => (Hash(k), new CallerIdentity(null, true, true))),
            .. o.ApiKeys.Select(k => (Hash(k), new CallerIdentity(null, false, false))),
        ];
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_keys.Length > 0)
        {
            Check(context.HttpContext.Request.Headers.Authorization.ToString()).AttachTo(context.HttpContext);
        }
        return next(context);
    }

    private CallerIdentity Check(string header)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            throw new ApiException(StatusCodes.Status401Unauthorized,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                ErrorTypes.InvalidRequest, null, "missing_api_key");
        }
        // Compare hashes in constant time against every key: neither the key's length nor its prefix leaks through timing.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        CallerIdentity? match = null;
        foreach (var (hash, identity) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(given, hash))
            {
                match ??= identity;
            }
        }
        return match ?? throw new ApiException(StatusCodes.Status401Unauthorized, "Incorrect API key provided.", ErrorTypes.InvalidRequest, null, "invalid_api_key");
    }
}
