using Microsoft.Extensions.Options;
using Platform.ChunkStore.Keys;
using Platform.Gateway.Configuration;

namespace Platform.Gateway.Rag;

/// <summary>Tenant names must be valid namespaces, and every tenant key an accepted key, named by the key to fix.</summary>
internal sealed class TenantsOptionsValidator(IOptions<GatewayOptions> gateway) : IValidateOptions<TenantsOptions>
{
    public ValidateOptionsResult Validate(string? name, TenantsOptions options)
    {
        var failures = new List<string>();
        var accepted = gateway.Value.ApiKeys.ToHashSet(StringComparer.Ordinal);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int t = 0; t < options.Tenants.Count; t++)
        {
            var tenant = options.Tenants[t];
            if (!TenantNamespace.IsValid(tenant.Name))
            {
                failures.Add($"Gateway:Tenants:{t}:Name (Gateway__Tenants__{t}__Name) must be 1-64 of A-Z, a-z, 0-9, '.', '_', '-'; got '{tenant.Name}'");
            }
            for (int k = 0; k < tenant.ApiKeys.Count; k++)
            {
                var key = tenant.ApiKeys[k];
                if (!accepted.Contains(key))
                {
                    failures.Add($"Gateway:Tenants:{t}:ApiKeys:{k} is not an accepted key: add it to Gateway:ApiKeys");
                }
                if (seen.TryGetValue(key, out var other) && other != tenant.Name)
                {
                    failures.Add($"Gateway:Tenants:{t}:ApiKeys:{k} already belongs to tenant '{other}'");
                }
                seen[key] = tenant.Name ?? "";
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
