using System.Text.RegularExpressions;

namespace Platform.ChunkStore.Keys;

/// <summary>
/// A tenant's part of the store: every Redis key of its chunks starts with <c>ckv:{tenant}:</c>, so a lookup
/// under one tenant can never read another's chunk. Tenant names are 1-64 of [A-Za-z0-9._-].
/// </summary>
public sealed partial record TenantNamespace
{
    public const string DefaultTenant = "default";

    private TenantNamespace(string tenant)
    {
        Tenant = tenant;
    }

    public string Tenant { get; }

    public static TenantNamespace Default { get; } = new(DefaultTenant);

    public static bool IsValid(string? tenant) => tenant is not null && Pattern().IsMatch(tenant);

    /// <summary>The namespace of <paramref name="tenant"/>; throws <see cref="ArgumentException"/> naming the rule.</summary>
    public static TenantNamespace Of(string? tenant)
    {
        if (string.IsNullOrEmpty(tenant))
        {
            return Default;
        }
        return IsValid(tenant)
            ? new TenantNamespace(tenant)
            : throw new ArgumentException($"tenant '{tenant}' is not a valid name: use 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'");
    }

    public string RedisKey(ChunkKey key) => $"ckv:{Tenant}:{key.Id}";

    public override string ToString() => Tenant;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Pattern();
}
