namespace Platform.Gateway.Api;

/// <summary>The body of <c>POST /v1/load_lora_adapter</c> (vLLM's shape), plus the owning tenant for admin keys.</summary>
public sealed record LoadLoraAdapterRequest(string? LoraName, string? LoraPath)
{
    /// <summary>Admin keys only: the tenant the adapter belongs to; absent, a shared adapter.</summary>
    public string? Tenant { get; init; }
}
