using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Keys;

namespace Platform.Gateway.Rag;

/// <summary>
/// The tenant of a request, from its (already accepted) API key: the tenant <c>Gateway:Tenants</c> gives the
/// key, else a tenant of its own (<c>key-</c> and 16 hex digits of the key's SHA-256), so keys never share
/// chunks unless configured to; with no API keys (an open API) everyone is <c>default</c>.
/// </summary>
internal sealed class TenantResolver
{
    private readonly Dictionary<string, TenantNamespace> _byKeyHash = new(StringComparer.Ordinal);

    private readonly bool _open;

    public TenantResolver(IOptions<TenantsOptions> options, IOptions<Configuration.GatewayOptions> gateway)
    {
        _open = gateway.Value.ApiKeys.Count == 0;
        foreach (var tenant in options.Value.Tenants)
        {
            foreach (var key in tenant.ApiKeys)
            {
                _byKeyHash[Hash(key)] = TenantNamespace.Of(tenant.Name);
            }
        }
    }

    public TenantNamespace Resolve(HttpContext context)
    {
        const string Scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        if (_open || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            return TenantNamespace.Default;
        }
        var hash = Hash(header[Scheme.Length..].Trim());
        return _byKeyHash.TryGetValue(hash, out var tenant) ? tenant : TenantNamespace.Of("key-" + hash[..16]);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
