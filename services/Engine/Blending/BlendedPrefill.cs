using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Lora;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// CacheBlend's prefill of one prompt into its reserved blocks, as its own forward pass:
/// <list type="bullet">
/// <item>r &gt; 0: layer 0 computes every token, exactly as a full prefill does; the check layer (1) computes every
/// token's K and V (as a full prefill would write them) and, from them, each cached token's deviation: the squared
/// L2 distance between its fresh V and the stored V (V, as the original CacheBlend code; V needs no re-rotation,
/// so the measure is independent of RoPE). Its attention and MLP then run for the selected tokens only.
/// The top r share of cached tokens, every uncached token (system prompt, missed chunks, question) and the
/// last token are selected. Later layers place the re-rotated stored K/V of all cached tokens, compute
/// Q/K/V/MLP for the selected tokens only, overwrite their K/V and attend over the whole blended cache
/// with a causal mask by absolute position.</item>
/// <item>r = 1 selects every token, so every layer is the full prefill's own computation (same kernels,
/// same shapes): the output equals a full prefill exactly.</item>
/// <item>r = 0 is full reuse, the baseline CacheBlend beats: no check layer; at every layer cached tokens keep
/// their stored (re-rotated) KV and only uncached tokens and the last token are computed.</item>
/// </list>
/// Under a LoRA adapter every computed token gets the adapter's deltas on its projections, as the model runner
/// applies them in a normal prefill; the stored chunk KV must then have been computed under the same adapter
/// (chunk keys carry the adapter, so base KV never meets an adapter request).
/// The prompt's layer sink gets the blended KV of each layer; until every chunk layer has arrived, layers are
/// held back, so a load failure (which falls back to a full prefill) never leaves a sink with blended layers.
/// </summary>
internal sealed class BlendedPrefill
{
    /// <summary>The check layer of both public implementations.</summary>
    public const int CheckLayer = 1;

    private readonly LlamaModel _model;
    private readonly PagedKvCache _cache;
    private readonly RopeReRotation _rope;
    private readonly LoraBatch? _lora;

    /// <param name="adapter">The request's LoRA adapter; null for the base model.</param>
    public BlendedPrefill(LlamaModel model, PagedKvCache cache, RopeReRotation rope, LoraAdapter? adapter = null)
    {
        _model = model;
        _cache = cache;
        _rope = rope;
        _lora = adapter is null ? null : LoraBatch.ForAll(adapter);
    }

    /// <summary>The chunk layers the blend reads: with r &gt; 0 layer 0 is recomputed for every token and never read.</summary>
    public static bool NeedsLayer(BlendPlan plan, int layer) => plan.Spec.RecomputeRatio == 0 || layer >= CheckLayer;

    /// <summary>Whether <paramref name="layer"/> is where the blend selects the tokens it goes on computing (0 &lt; r &lt; 1, something cached).</summary>
    public static bool SelectsAt(BlendPlan plan, int layer) =>
        layer == CheckLayer && plan.Spec.RecomputeRatio is > 0 and < 1 && plan.NumCached > 0;

    /// <summary>
    /// Runs the blend; returns float32 logits [1, vocab] of the last prompt token (in the caller's scope) and
    /// the number of cached tokens recomputed. Throws <see cref="ChunkKvUnavailableException"/> or
    /// <see cref="TimeoutException"/> when chunk KV cannot be had; the blocks then hold garbage to overwrite.
    /// </summary>
    public (Tensor Logits, int RecomputedCached) Run(
        IReadOnlyList<int> tokens, IReadOnlyList<int> blockTable, BlendPlan plan, ChunkKvPrefetcher loads, IKvLayerSink? sink)
    {
        int n = plan.PromptLength;
        int numLayers = _model.Layers.Count;
        double ratio = plan.Spec.RecomputeRatio;
        var device = _model.Device;
        using var scope = NewDisposeScope();
        var allSlots = _cache.SlotsOf(blockTable, 0, n);
        var slotsAll = tensor(allSlots, device: device);
        var cachedSlots = tensor(plan.CachedPositions.Select(p => allSlots[p]).ToArray(), device: device);
        var positionsAll = arange(n, ScalarType.Int64, device);
        var anglesAll = _model.Rope.Lookup(positionsAll);
        var fullMeta = FullPrefillMetadata(slotsAll, n);

        // The selected positions, ascending; null while every token is computed.
        int[]? selected = ratio == 0 ? Forced(plan, []) : null;
        var x = _model.Embed(tensor(tokens.Take(n).Select(t => (long)t).ToArray(), device: device));
        var (meta, angles) = (fullMeta, anglesAll);
        if (selected is not null)
        {
            (meta, angles) = SubsetMetadata(selected, allSlots, slotsAll, n);
            x = x.index_select(0, tensor(selected.Select(p => (long)p).ToArray(), device: device));
        }

        var held = new List<(int Layer, Tensor K, Tensor V)>();
        try
        {
            for (int layer = 0; layer < numLayers; layer++)
            {
                if (SelectsAt(plan, layer))
                {
                    // Every token's fresh K/V at the check layer (what a full pass would write), the selection from its
                    // V, then attention and MLP for the selected tokens only: the other tokens' outputs of this layer
                    // would be dropped anyway.
                    selected = Select(plan, loads.Take(layer), x, angles, slotsAll, cachedSlots, layer, ratio);
                    if (selected.Length < n)
                    {
                        var all = x;
                        x = x.index_select(0, tensor(selected.Select(p => (long)p).ToArray(), device: device));
                        all.Dispose();
                        (meta, angles) = SubsetMetadata(selected, allSlots, slotsAll, n);
                    }
                    else
                    {
                        selected = null;
                    }
                }
                else if (NeedsLayer(plan, layer) && plan.NumCached > 0)
                {
                    if (loads.PlacesOnArrival(layer))
                    {
                        // Already in the cache (or on its way): wait for it.
                        loads.Take(layer);
                    }
                    else
                    {
                        // Stored K/V go into the cache only where some tokens are not recomputed.
                        PlaceStored(loads.Take(layer), plan, layer, cachedSlots, write: selected is not null);
                    }
                }
                x = _model.ForwardLayer(layer, x, angles, meta, _cache, _lora);
                if (sink is not null)
                {
                    // Held outside any scope until no load can fail any more.
                    var (k, v) = _cache.CopyLayerToHost(layer, blockTable, n);
                    held.Add((layer, k, v));
                    if (loads.AllLoaded || layer == numLayers - 1)
                    {
                        foreach (var (l, hk, hv) in held)
                        {
                            sink.OnLayer(l, hk, hv);
                        }
                        held.Clear();
                    }
                }
            }
        }
        catch
        {
            foreach (var (_, hk, hv) in held)
            {
                hk.Dispose();
                hv.Dispose();
            }
            throw;
        }
        var normed = _model.FinalNorm(x);
        var logits = _model.Logits(normed.narrow(0, normed.shape[0] - 1, 1));
        int recomputedCached = selected is null ? plan.NumCached : selected.Count(p => plan.IsCached[p]);
        return (logits.MoveToOuterDisposeScope(), recomputedCached);
    }

    /// <summary>
    /// Writes every chunk's stored K (re-rotated to its new positions) and V into the cache at the cached tokens'
    /// slots when <paramref name="write"/>; otherwise only consumes the layer (a blend that recomputes everything
    /// still fails over on a chunk that did not arrive).
    /// </summary>
    private void PlaceStored(ChunkKvLayer[] layers, BlendPlan plan, int layer, Tensor cachedSlots, bool write)
    {
        using var scope = NewDisposeScope();
        var (k, v) = Concatenate(layers, plan, withKeys: write);
        if (write)
        {
            _cache.Write(layer, cachedSlots, k!, v);
        }
    }

    /// <summary>Every chunk's stored K (re-rotated to its new positions) and V, concatenated in prompt order; disposes <paramref name="layers"/>.</summary>
    private (Tensor? K, Tensor V) Concatenate(ChunkKvLayer[] layers, BlendPlan plan, bool withKeys)
    {
        try
        {
            var keys = new List<Tensor>(plan.CachedSegments.Count);
            var values = new List<Tensor>(plan.CachedSegments.Count);
            foreach (var segment in plan.CachedSegments)
            {
                var chunk = segment.Cached!;
                var stored = layers[plan.SourceIndexOf(chunk)];
                if (withKeys)
                {
                    var k = stored.Keys.to(_model.DType, _model.Device);
                    int delta = segment.Start - chunk.FirstPosition;
                    keys.Add(delta == 0 ? k : _rope.Rotate(k, delta));
                }
                values.Add(stored.Values.to(_model.DType, _model.Device));
            }
            return (withKeys ? cat(keys, 0) : null, cat(values, 0));
        }
        finally
        {
            foreach (var layer in layers)
            {
                layer.Dispose();
            }
        }
    }

    /// <summary>
    /// At the check layer: writes every token's fresh K/V (as a full pass would) and selects the top r share of
    /// cached tokens by the deviation of their fresh V from the stored one, plus the forced tokens.
    /// </summary>
    private int[] Select(BlendPlan plan, ChunkKvLayer[] stored, Tensor x, RotaryAngles angles, Tensor slots, Tensor cachedSlots, int layer, double ratio)
    {
        using var scope = NewDisposeScope();
        var (_, storedValues) = Concatenate(stored, plan, withKeys: false);
        _model.Layers[layer].WriteKv(x, angles, slots, _cache, _lora);
        var fresh = _cache.Values(layer).index_select(0, cachedSlots).to(ScalarType.Float32);
        var deviation = (fresh - storedValues.to(ScalarType.Float32)).square().sum([1, 2]);
        int k = Math.Min(plan.NumCached, (int)Math.Ceiling(ratio * plan.NumCached));
        int[] top = k == 0 ? [] : [.. deviation.topk(k).indexes.cpu().data<long>().Select(i => plan.CachedPositions[i])];
        return Forced(plan, top);
    }

    /// <summary>Uncached tokens, the last token and <paramref name="extra"/>, ascending.</summary>
    private static int[] Forced(BlendPlan plan, IEnumerable<int> extra)
    {
        var take = (bool[])plan.IsCached.Clone();
        for (int p = 0; p < take.Length; p++)
        {
            take[p] = !take[p];
        }
        take[^1] = true;
        foreach (int p in extra)
        {
            take[p] = true;
        }
        return [.. Enumerable.Range(0, take.Length).Where(p => take[p])];
    }

    /// <summary>The metadata the model runner builds for a whole prompt in one chunk (so r = 1 is the full prefill).</summary>
    private AttentionMetadata FullPrefillMetadata(Tensor slots, int n)
    {
        Tensor? mask = null;
        if (_model.Config.SlidingWindow is { } window)
        {
            var allowed = new bool[n * n];
            for (int q = 0; q < n; q++)
            {
                for (int k = Math.Max(0, q - window + 1); k <= q; k++)
                {
                    allowed[(q * n) + k] = true;
                }
            }
            mask = tensor(allowed, device: slots.device).view(n, n);
        }
        return new AttentionMetadata(slots, 0, null, null, [new ChunkAttention(0, 0, n, null, mask)]);
    }

    /// <summary>Selected tokens attend to the whole blended prompt in the cache, causally by absolute position.</summary>
    private (AttentionMetadata Meta, RotaryAngles Angles) SubsetMetadata(int[] selected, long[] allSlots, Tensor slotsAll, int n)
    {
        int? window = _model.Config.SlidingWindow;
        var allowed = new bool[selected.Length * n];
        for (int q = 0; q < selected.Length; q++)
        {
            int pos = selected[q];
            for (int k = window is null ? 0 : Math.Max(0, pos - window.Value + 1); k <= pos; k++)
            {
                allowed[(q * n) + k] = true;
            }
        }
        var device = slotsAll.device;
        var mask = tensor(allowed, device: device).view(selected.Length, n);
        var slots = tensor(selected.Select(p => allSlots[p]).ToArray(), device: device);
        // Row q sees positions 0..selected[q] (ascending), which lets the attention skip each block's unseen columns.
        var meta = new AttentionMetadata(slots, 0, null, null,
            [new ChunkAttention(0, 0, selected.Length, slotsAll, mask, RowContextLengths: [.. selected.Select(p => p + 1)])]);
        var angles = _model.Rope.Lookup(tensor(selected.Select(p => (long)p).ToArray(), device: device));
        return (meta, angles);
    }
}
