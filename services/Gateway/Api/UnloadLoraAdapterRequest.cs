namespace Platform.Gateway.Api;

/// <summary>The body of <c>POST /v1/unload_lora_adapter</c> (vLLM's shape), plus the owning tenant for admin keys.</summary>
public sealed record UnloadLoraAdapterRequest(string? LoraName)
{
    public string? Tenant { get; init; }
}
