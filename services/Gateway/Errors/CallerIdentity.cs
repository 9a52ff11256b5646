namespace Platform.Gateway.Errors;

/// <summary>Who is calling, from the API key: the tenant (null: none) and what it may administer.</summary>
public sealed record CallerIdentity(string? Tenant, bool IsAdmin, bool ManagesAdapters)
{
    /// <summary>The caller of a gateway without keys: no tenant, allowed everything.</summary>
    public static CallerIdentity Open { get; } = new(null, true, true);

    private const string ItemKey = "platform.caller";

    public static CallerIdentity Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var v) && v is CallerIdentity c ? c : Open;

    internal void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
