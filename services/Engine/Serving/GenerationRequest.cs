using Platform.Engine.Sampling;

namespace Platform.Engine.Serving;

/// <summary>
/// A request to the engine: prompt token ids (tokenized by the caller, so chunk boundaries and chat
/// templates stay exact), sampling parameters, and the cache salt that keeps prefix reuse apart between
/// adapters and tenants.
/// </summary>
public sealed record GenerationRequest(string RequestId, IReadOnlyList<int> PromptTokenIds, SamplingParams Sampling)
{
    /// <summary>Extra prefix-cache key: KV computed under one salt is never reused under another.</summary>
    public ulong CacheSalt { get; init; }

    /// <summary>
    /// The name of a LoRA adapter loaded in the engine (<see cref="LlmEngine.Adapters"/>) to generate under;
    /// null for the base model. Its KV is keyed by the adapter, so prefix reuse never mixes adapters.
    /// </summary>
    public string? Adapter { get; init; }

    /// <summary>
    /// Where <see cref="Adapter"/>'s PEFT directory is: when set and the adapter is not resident, the engine loads
    /// it (evicting an idle adapter when full). Phase-split workers get adapters this way, from the request itself.
    /// </summary>
    public string? AdapterPath { get; init; }

    /// <summary>Hand the request's KV out with its final event (the prefill side of a phase split).</summary>
    public bool ExportKv { get; init; }

    /// <summary>
    /// Streams the prompt's KV layer by layer during the step that completes the prompt, while later
    /// layers still compute (the prefill side of a phase split).
    /// </summary>
    public Execution.IKvLayerSink? KvLayerSink { get; init; }

    /// <summary>
    /// Build the prompt's KV by CacheBlend from precomputed chunks instead of a full prefill (RAG requests).
    /// Falls back to a full prefill when too few tokens are cached, a chunk cannot be loaded or the model's
    /// RoPE variant cannot be re-rotated.
    /// </summary>
    public Blending.BlendSpec? Blend { get; init; }
}
