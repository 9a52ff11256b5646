using System.Security.Cryptography;
using System.Text;
using Platform.ChunkStore.Keys;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Rag;

/// <summary>
/// The chunk-store tenant of a request, from the caller identity its API key was given by
/// <see cref="ApiKeyFilter"/>: the tenant of <c>Gateway:Tenants:{name}</c>, else a tenant of the key's own
/// (<c>key-</c> and 16 hex digits of the key's SHA-256), so keys never share chunks unless configured to; with
/// no API keys (an open API) everyone is <c>default</c>.
/// </summary>
public sealed class TenantResolver
{
    public TenantNamespace Resolve(HttpContext context)
    {
        var caller = CallerIdentity.Of(context);
        if (ReferenceEquals(caller, CallerIdentity.Open))
        {
            return TenantNamespace.Default;
        }
        if (caller.Tenant is { } tenant)
        {
            return TenantNamespace.Of(tenant);
        }
        const string Scheme = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            return TenantNamespace.Default;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim())));
        return TenantNamespace.Of("key-" + hash[..16]);
    }
}
