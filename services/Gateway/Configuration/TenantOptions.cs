namespace Platform.Gateway.Configuration;

/// <summary>One tenant (<c>Gateway:Tenants:{name}</c>): its API keys, and whether it may load and unload its own LoRA adapters.</summary>
public sealed class TenantOptions
{
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>May call <c>/v1/load_lora_adapter</c> and <c>/v1/unload_lora_adapter</c>; what it loads belongs to it.</summary>
    public bool ManageAdapters { get; set; }
}
