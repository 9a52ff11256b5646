namespace Platform.Gateway.Rag;

/// <summary>One tenant (<c>Gateway:Tenants:N</c>): its name (the chunk store namespace) and the API keys that act for it.</summary>
public sealed class TenantOptions
{
    public string? Name { get; set; }

    /// <summary>Keys of this tenant; each must also be accepted (listed in <c>Gateway:ApiKeys</c>).</summary>
    public List<string> ApiKeys { get; set; } = [];
}
