using System.Numerics;
using Platform.Engine.KvCache;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// Writes a layer of the chunks' stored K (re-rotated to the chunk's new positions) and V into the cached tokens'
/// cache slots as the layer arrives, on the loading thread, so that the blend's own thread finds it in place. One
/// pass over the loaded rows, where placing it with torch ops on the blend's thread rotated into temporaries,
/// concatenated them and copied them into the cache (a few milliseconds per layer on the critical path, and fresh
/// memory for every chunk layer). The same arithmetic as <see cref="RopeReRotation.Rotate"/> in float32
/// (x * cos + roll(x, d/2) * signedSin, each product rounded, no fused multiply-add), so the cache holds the same
/// values either way. Only for a float32 cache on the CPU with the C# kernels on; elsewhere the blend places each
/// layer with torch ops itself.
/// </summary>
internal sealed unsafe class ChunkKvPlacement
{
    private readonly PagedKvCache _cache;
    private readonly BlendPlan _plan;
    private readonly Segment[] _segments;

    private ChunkKvPlacement(PagedKvCache cache, BlendPlan plan, Segment[] segments)
    {
        _cache = cache;
        _plan = plan;
        _segments = segments;
    }

    /// <summary>
    /// The placement for a blend of <paramref name="plan"/> into <paramref name="blockTable"/>, or null where the
    /// blend places layers itself: nothing cached, every token recomputed (r = 1), a cache not float32 on the CPU,
    /// or the C# kernels switched off.
    /// </summary>
    public static ChunkKvPlacement? For(BlendPlan plan, PagedKvCache cache, RopeReRotation rope, IReadOnlyList<int> blockTable, Device device)
    {
        if (plan.NumCached == 0 || plan.Spec.RecomputeRatio >= 1 || !CpuKernels.Enabled
            || device.type != TorchSharp.DeviceType.CPU || cache.DType != ScalarType.Float32)
        {
            return null;
        }
        var allSlots = cache.SlotsOf(blockTable, 0, plan.PromptLength);
        long capacity = (long)cache.NumBlocks * cache.BlockSize;
        if (allSlots.FirstOrDefault(s => (ulong)s >= (ulong)capacity, -1) is >= 0 and var outside)
        {
            // Checked once here: the placement writes through raw pointers.
            throw new InvalidOperationException($"cache slot {outside} is outside the cache's {capacity} slots");
        }
        var segments = plan.CachedSegments.Select(segment =>
        {
            var chunk = segment.Cached!;
            var (cos, signedSin) = rope.Angles(segment.Start - chunk.FirstPosition);
            return new Segment(plan.SourceIndexOf(chunk), allSlots[segment.Start..(segment.Start + segment.Length)], cos, signedSin);
        }).ToArray();
        return new ChunkKvPlacement(cache, plan, segments);
    }

    /// <summary>
    /// Whether <paramref name="layer"/> is placed on arrival: every layer the blend reads, except the check layer of a
    /// blend that selects (it compares the stored V with fresh V and writes every token's fresh K/V itself).
    /// </summary>
    public bool Places(int layer) => BlendedPrefill.NeedsLayer(_plan, layer) && !BlendedPrefill.SelectsAt(_plan, layer);

    /// <summary>Writes one layer of every chunk (in the order of the plan's sources) into the cached tokens' slots.</summary>
    public void Place(int layer, IReadOnlyList<ChunkKvLayer> layers)
    {
        var keys = _cache.Keys(layer);
        var values = _cache.Values(layer);
        int rowSize = _cache.NumKvHeads * _cache.HeadDim;
        float* keyBase = TensorAddress.Of<float>(keys);
        float* valueBase = TensorAddress.Of<float>(values);
        foreach (var segment in _segments)
        {
            var stored = layers[segment.Source];
            long elements = (long)segment.Slots.Length * rowSize;
            if (stored.DType == ScalarType.Float32 && stored.TryGetBytes(out var keyBytes, out var valueBytes))
            {
                // Straight from the store's bytes (lengths checked against the shape when the layer was made).
                using var keyPin = keyBytes.Pin();
                using var valuePin = valueBytes.Pin();
                CheckElements(layer, keyBytes.Length / sizeof(float), valueBytes.Length / sizeof(float), elements);
                PlaceSegment(segment, (float*)keyPin.Pointer, (float*)valuePin.Pointer, keyBase, valueBase, rowSize);
                continue;
            }
            using var scope = NewDisposeScope();
            var storedKeys = AsFloat32(stored.Keys);
            var storedValues = AsFloat32(stored.Values);
            CheckElements(layer, storedKeys.NumberOfElements, storedValues.NumberOfElements, elements);
            PlaceSegment(segment, TensorAddress.Of<float>(storedKeys), TensorAddress.Of<float>(storedValues), keyBase, valueBase, rowSize);
        }
    }

    private void PlaceSegment(Segment segment, float* sourceKeys, float* sourceValues, float* keyBase, float* valueBase, int rowSize)
    {
        for (int t = 0; t < segment.Slots.Length; t++)
        {
            long slot = segment.Slots[t];
            long row = (long)t * rowSize;
            for (int head = 0; head < _cache.NumKvHeads; head++)
            {
                long offset = (long)head * _cache.HeadDim;
                Rotate(sourceKeys + row + offset, keyBase + (slot * rowSize) + offset, segment.Cos, segment.SignedSin);
            }
            Buffer.MemoryCopy(sourceValues + row, valueBase + (slot * rowSize), rowSize * sizeof(float), rowSize * sizeof(float));
        }
    }

    private static void CheckElements(int layer, long keys, long values, long expected)
    {
        if (keys != expected || values != expected)
        {
            throw new ChunkKvUnavailableException($"chunk KV of layer {layer} has {keys}/{values} elements, expected {expected}");
        }
    }

    /// <summary>One head's key: y = x * cos + roll(x, d/2) * signedSin, i.e. (x1 cos - x2 sin, x2 cos + x1 sin).</summary>
    private static void Rotate(float* x, float* y, float[] cos, float[] signedSin)
    {
        int dim = cos.Length;
        int half = dim / 2;
        int i = 0;
        if (Vector.IsHardwareAccelerated && half % Vector<float>.Count == 0)
        {
            var x1Span = new ReadOnlySpan<float>(x, half);
            var x2Span = new ReadOnlySpan<float>(x + half, half);
            var y1 = new Span<float>(y, half);
            var y2 = new Span<float>(y + half, half);
            for (; i < half; i += Vector<float>.Count)
            {
                var x1 = new Vector<float>(x1Span[i..]);
                var x2 = new Vector<float>(x2Span[i..]);
                var low = (x1 * new Vector<float>(cos, i)) + (x2 * new Vector<float>(signedSin, i));
                var high = (x2 * new Vector<float>(cos, half + i)) + (x1 * new Vector<float>(signedSin, half + i));
                low.CopyTo(y1[i..]);
                high.CopyTo(y2[i..]);
            }
            return;
        }
        for (; i < half; i++)
        {
            float x1 = x[i], x2 = x[i + half];
            y[i] = (x1 * cos[i]) + (x2 * signedSin[i]);
            y[i + half] = (x2 * cos[i + half]) + (x1 * signedSin[i + half]);
        }
    }

    /// <summary>A contiguous float32 CPU view of <paramref name="t"/>, converting (exactly, from 16-bit types) where needed.</summary>
    private static Tensor AsFloat32(Tensor t) => t.to(ScalarType.Float32, CPU).contiguous();

    /// <summary>A cached segment: its chunk's index among the sources, its tokens' slots and its rotation.</summary>
    private sealed record Segment(int Source, long[] Slots, float[] Cos, float[] SignedSin);
}
