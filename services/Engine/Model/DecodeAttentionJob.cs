using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Platform.Engine.Model;

/// <summary>
/// One decode-attention call's raw pointers (into tensors the caller keeps alive until every item ran)
/// and the work of one (sequence, KV-head range) item: scores for the range's query heads over all
/// allowed positions, an exact softmax, then the probability-weighted sum of V rows.
/// </summary>
internal sealed unsafe class DecodeAttentionJob(
    float* q, float* keys, float* values, long* slots, byte* mask, float* output,
    int heads, int kvHeads, int d, int ctx, int splits, int headsPerItem, float scale)
{
    /// <summary>
    /// Positions ahead whose cache rows are requested early. Consecutive positions' rows sit kv_heads · d
    /// floats apart, usually across a 4 KiB page, where the hardware prefetcher stops; without this each
    /// row waits out a full memory latency.
    /// </summary>
    private const int PrefetchDistance = 6;

    private readonly int _group = heads / kvHeads;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int item)
    {
        int b = item / splits;
        int kv0 = item % splits * headsPerItem;
        int kvCount = Math.Min(headsPerItem, kvHeads - kv0);
        int queries = kvCount * _group;
        long rowStride = (long)kvHeads * d;
        long* seqSlots = slots + (long)b * ctx;
        byte* seqMask = mask + (long)b * ctx;
        float* qBase = q + ((long)b * heads + (long)kv0 * _group) * d;
        float* outBase = output + ((long)b * heads + (long)kv0 * _group) * d;

        var rented = ArrayPool<float>.Shared.Rent(queries * ctx);
        fixed (float* scores = rented)
        {
            for (int j = 0; j < ctx; j++)
            {
                if (seqMask[j] == 0)
                {
                    for (int h = 0; h < queries; h++)
                    {
                        scores[(long)h * ctx + j] = float.NegativeInfinity;
                    }
                    continue;
                }
                Prefetch(keys, seqSlots, seqMask, j + PrefetchDistance, ctx, rowStride, kv0 * d, kvCount * d);
                float* kRow = keys + seqSlots[j] * rowStride + (long)kv0 * d;
                float* qh = qBase;
                float* sh = scores + j;
                for (int kvh = 0; kvh < kvCount; kvh++, kRow += d)
                {
                    for (int g = 0; g < _group; g++, qh += d, sh += ctx)
                    {
                        *sh = SkinnyGemmKernels.Dot(qh, kRow, d) * scale;
                    }
                }
            }

            for (int h = 0; h < queries; h++)
            {
                Softmax.InPlace(scores + (long)h * ctx, ctx);
            }
            new Span<float>(outBase, queries * d).Clear();

            for (int j = 0; j < ctx; j++)
            {
                if (seqMask[j] == 0)
                {
                    continue;
                }
                Prefetch(values, seqSlots, seqMask, j + PrefetchDistance, ctx, rowStride, kv0 * d, kvCount * d);
                float* vRow = values + seqSlots[j] * rowStride + (long)kv0 * d;
                float* oh = outBase;
                float* ph = scores + j;
                for (int kvh = 0; kvh < kvCount; kvh++, vRow += d)
                {
                    for (int g = 0; g < _group; g++, oh += d, ph += ctx)
                    {
                        Axpy(oh, *ph, vRow, d);
                    }
                }
            }
        }
        ArrayPool<float>.Shared.Return(rented);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* cache, long* seqSlots, byte* seqMask, int j, int ctx, long rowStride, int offset, int count)
    {
        if (j >= ctx || seqMask[j] == 0)
        {
            return;
        }
        byte* start = (byte*)(cache + seqSlots[j] * rowStride + offset);
        byte* end = start + (long)count * sizeof(float);
        for (byte* p = start; p < end; p += 64)
        {
            Sse.Prefetch0(p);
        }
    }

    /// <summary>y += a · x over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float* y, float a, float* x, int n)
    {
        var av = Vector256.Create(a);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Avx.Store(y + i, Fma.MultiplyAdd(av, Avx.LoadVector256(x + i), Avx.LoadVector256(y + i)));
        }
        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }
}
