namespace Platform.Gateway.Api;

/// <summary>One served model; <c>max_model_len</c> as vLLM reports it.</summary>
public sealed record ModelCard(string Id, long Created, string OwnedBy, int MaxModelLen)
{
    public string Object { get; init; } = "model";

    /// <summary>For a LoRA adapter: where it was loaded from (vLLM reports the adapter path).</summary>
    public string? Root { get; init; }

    /// <summary>For a LoRA adapter: the base model it applies to.</summary>
    public string? Parent { get; init; }
}
