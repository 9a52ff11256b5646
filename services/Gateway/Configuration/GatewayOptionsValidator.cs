using Microsoft.Extensions.Options;

namespace Platform.Gateway.Configuration;

/// <summary>Checks the Gateway section at start; each failure names the key and its environment variable.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.MaxConcurrentRequests < 1)
        {
            failures.Add($"Gateway:MaxConcurrentRequests (Gateway__MaxConcurrentRequests) must be at least 1, got {options.MaxConcurrentRequests}");
        }
        if (options.MaxRequestBodyBytes < 1024)
        {
            failures.Add($"Gateway:MaxRequestBodyBytes (Gateway__MaxRequestBodyBytes) must be at least 1024, got {options.MaxRequestBodyBytes}");
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Gateway:ApiKeys (Gateway__ApiKeys__0, ...) must not contain empty keys");
        }
        if (options.AdminApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Gateway:AdminApiKeys (Gateway__AdminApiKeys__0, ...) must not contain empty keys");
        }
        foreach (var (tenant, t) in options.Tenants)
        {
            // The name is also the tenant's chunk-store namespace and its adapters' prefix.
            if (!ChunkStore.Keys.TenantNamespace.IsValid(tenant) || t.ApiKeys.Count == 0 || t.ApiKeys.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"Gateway:Tenants:{tenant} (Gateway__Tenants__{tenant}__ApiKeys__0, ...) needs a name of 1-64 of A-Z, a-z, 0-9, '.', '_', '-' and at least one non-empty API key");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
