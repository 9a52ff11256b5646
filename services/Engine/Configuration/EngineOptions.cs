namespace Platform.Engine.Configuration;

/// <summary>How the engine runs a model: device, dtype, KV cache size and the per-step token budget.</summary>
public sealed record EngineOptions
{
    /// <summary>Torch device string: "cpu", "cuda", "cuda:1".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Compute and KV cache dtype: "float32", "float16" or "bfloat16". Weights are converted to it at load.</summary>
    public string DType { get; init; } = "float32";

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Bytes of device memory for the paged KV cache; the block count is derived from it.</summary>
    public long KvCacheBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Token budget of one engine step (decode tokens plus prefill chunks).</summary>
    public int MaxBatchedTokens { get; init; } = 2048;

    /// <summary>Most sequences running at once.</summary>
    public int MaxRunningSequences { get; init; } = 256;

    /// <summary>Longest sequence (prompt plus completion) accepted; defaults to the model's max_position_embeddings.</summary>
    public int? MaxModelLength { get; init; }

    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>CPU threads for torch's intra-op work and the engine's own kernels (<see cref="Model.KernelThreads"/>); null: all cores.</summary>
    public int? CpuThreads { get; init; }

    /// <summary>
    /// Keep freed CPU memory in the process for the next step instead of returning it to the OS (glibc malloc
    /// thresholds, process-wide; see <see cref="KvCache.HostMemory"/>). Off: every large activation is faulted in
    /// afresh, which made CPU prefill up to 2.8x slower in processes that also receive KV transfers.
    /// </summary>
    public bool RetainHostMemory { get; init; } = true;

    /// <summary>
    /// Before the engine serves, run one prefill of a full step's tokens (<see cref="MaxBatchedTokens"/>, capped by the
    /// KV pool and the model length) and one decode step on free blocks, so that the first requests do not pay
    /// one-time costs: JIT of the step's code and faulting in its activation memory (in a fresh process the first
    /// prompts of 500-1500 tokens took 10-25% longer than the next ones of the same size).
    /// </summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>Most LoRA adapters resident at once (vLLM's max_loras); loading one more is refused.</summary>
    public int MaxLoras { get; init; } = 8;

    /// <summary>Highest LoRA rank accepted (vLLM's max_lora_rank).</summary>
    public int MaxLoraRank { get; init; } = 16;

    /// <summary>Seed for <c>dummy</c> weights.</summary>
    public long DummySeed { get; init; } = 1234;
}
