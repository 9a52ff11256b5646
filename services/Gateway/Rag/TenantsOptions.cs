namespace Platform.Gateway.Rag;

/// <summary><c>Gateway:Tenants</c>: which API keys belong to which tenant of the chunk store.</summary>
public sealed class TenantsOptions
{
    public List<TenantOptions> Tenants { get; set; } = [];
}
