using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// Decode attention (one query token per sequence) computed in C# straight from the paged KV cache.
/// torch needs each sequence's K/V gathered into a padded copy first, which at batch 32 writes and then
/// re-reads as many bytes as the cache rows themselves; this kernel reads every allowed cache row once.
/// Work is split over (sequence, range of KV heads) pairs across the cores; within a pair it walks the
/// positions in order, so each slot's heads are read as one contiguous run.
/// </summary>
public static unsafe class PagedDecodeAttention
{
    public static bool IsSupported => Fma.IsSupported && Avx.IsSupported;

    /// <summary>Whether the kernel can serve this layer: float32 CPU tensors and contiguous cache rows.</summary>
    public static bool CanApply(Tensor q, Tensor keys, Tensor values) =>
        CpuKernels.Enabled && IsSupported
        && q.device_type == TorchSharp.DeviceType.CPU && keys.device_type == TorchSharp.DeviceType.CPU
        && q.dtype == ScalarType.Float32 && keys.dtype == ScalarType.Float32 && values.dtype == ScalarType.Float32
        && keys.is_contiguous() && values.is_contiguous();

    /// <summary>
    /// q [B, heads, d]; keys/values [slots, kv_heads, d]; contextSlots [B, ctx] int64; mask with B·ctx bools
    /// (true = attend, false = padding or outside the sliding window) → [B, heads · d]. Query head h uses
    /// KV head h / (heads / kv_heads), as the grouped view [kv_heads, group] does.
    /// </summary>
    public static Tensor Forward(Tensor q, Tensor keys, Tensor values, Tensor contextSlots, Tensor mask)
    {
        int b = (int)q.shape[0], heads = (int)q.shape[1], d = (int)q.shape[2];
        int kvHeads = (int)keys.shape[1];
        int ctx = (int)contextSlots.shape[1];
        var qc = q.is_contiguous() ? q : q.contiguous();
        var slots = contextSlots.dtype == ScalarType.Int64 && contextSlots.is_contiguous() ? contextSlots : contextSlots.to(ScalarType.Int64).contiguous();
        var allowed = mask.dtype == ScalarType.Bool && mask.is_contiguous() ? mask : mask.to(ScalarType.Bool).contiguous();
        var output = empty([b, (long)heads * d], ScalarType.Float32);
        // Enough items to keep every core busy when the batch is small: split each sequence's KV heads, but
        // no further, since a narrower range reads a shorter run of each slot's row.
        int cores = KernelThreads.Count;
        int splits = Math.Clamp((cores + b - 1) / b, 1, kvHeads);
        int headsPerItem = (kvHeads + splits - 1) / splits;
        splits = (kvHeads + headsPerItem - 1) / headsPerItem;
        var job = new DecodeAttentionJob(
            TensorAddress.Of<float>(qc), TensorAddress.Of<float>(keys), TensorAddress.Of<float>(values),
            TensorAddress.Of<long>(slots), TensorAddress.Of<byte>(allowed), TensorAddress.Of<float>(output),
            heads, kvHeads, d, ctx, splits, headsPerItem, (float)(1.0 / Math.Sqrt(d)));
        int items = b * splits;
        KernelThreads.For(items, job.Run);
        GC.KeepAlive(qc);
        GC.KeepAlive(slots);
        GC.KeepAlive(allowed);
        return output;
    }
}
