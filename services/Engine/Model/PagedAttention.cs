using Platform.Engine.KvCache;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Model;

/// <summary>
/// Attention over the paged KV cache with grouped-query heads. New K/V are written to their slots first;
/// decode tokens then attend as one padded batch gathered from the cache, and each multi-token chunk
/// attends causally (by absolute position) to its context. Query heads are grouped as
/// [kv_heads, group] so K/V are never repeated per query head.
/// </summary>
public static class PagedAttention
{
    /// <summary>Row blocks of a masked chunk with <see cref="ChunkAttention.RowContextLengths"/>: at most this many...</summary>
    private const int MaxPrefixBlocks = 16;

    /// <summary>...of at least this many rows (fewer rows per product would cost more in calls than they save).</summary>
    private const int MinRowsPerBlock = 32;

    /// <summary>q [T, heads, d], k/v [T, kv_heads, d] → [T, heads * d].</summary>
    public static Tensor Forward(
        int layer, Tensor q, Tensor k, Tensor v, AttentionMetadata meta, PagedKvCache cache)
    {
        cache.Write(layer, meta.SlotMapping, k, v);
        long kvHeads = k.shape[1];
        long headDim = q.shape[2];
        long group = q.shape[1] / kvHeads;
        var outputs = new List<Tensor>(meta.Chunks.Count + 1);

        if (meta.NumDecodeTokens > 0)
        {
            long b = meta.NumDecodeTokens;
            var slots = meta.DecodeContextSlots!;
            if (PagedDecodeAttention.CanApply(q, cache.Keys(layer), cache.Values(layer)))
            {
                outputs.Add(PagedDecodeAttention.Forward(q.narrow(0, 0, b), cache.Keys(layer), cache.Values(layer), slots, meta.DecodeMask!));
            }
            else
            {
                outputs.Add(GatheredDecode(layer, q, b, slots, meta.DecodeMask, cache, kvHeads, group, headDim));
            }
        }

        foreach (var chunk in meta.Chunks)
        {
            long n = chunk.QueryLength;
            var qc = q.narrow(0, chunk.Row, n).view(n, kvHeads, group, headDim).permute(1, 2, 0, 3);
            Tensor kc, vc;
            if (chunk.ContextSlots is null)
            {
                kc = k.narrow(0, chunk.Row, n);
                vc = v.narrow(0, chunk.Row, n);
            }
            else
            {
                kc = cache.Keys(layer).index_select(0, chunk.ContextSlots);
                vc = cache.Values(layer).index_select(0, chunk.ContextSlots);
            }
            long ctx = kc.shape[0];
            kc = kc.permute(1, 0, 2).unsqueeze(1).expand(kvHeads, group, ctx, headDim);
            vc = vc.permute(1, 0, 2).unsqueeze(1).expand(kvHeads, group, ctx, headDim);
            Tensor oc;
            if (chunk.Mask is null)
            {
                oc = scaled_dot_product_attention(qc, kc, vc, is_casual: true);
            }
            else if (chunk.PlainCausal && chunk.Start <= n)
            {
                // A chunk after a prefix of at most its own length: with the prefix's positions padded in front of
                // its queries, plain causal attention over the whole context is exactly the masked one for the real
                // queries, on the fused causal kernel instead of a materialized [n, ctx] mask (the padding costs at
                // most a quarter of the real work).
                var padded = cat([zeros([kvHeads, group, chunk.Start, headDim], qc.dtype, qc.device), qc], 2);
                oc = scaled_dot_product_attention(padded, kc, vc, is_casual: true).narrow(2, chunk.Start, n);
            }
            else if (chunk.RowContextLengths is { } lengths)
            {
                oc = PrefixBlocks(qc, kc, vc, chunk.Mask, lengths);
            }
            else
            {
                oc = scaled_dot_product_attention(qc, kc, vc, chunk.Mask);
            }
            outputs.Add(oc.permute(2, 0, 1, 3).reshape(n, -1));
        }
        return outputs.Count == 1 ? outputs[0] : cat(outputs, 0);
    }

    /// <summary>
    /// Masked attention in blocks of rows, each over the context prefix its last row can see: the columns past it
    /// are masked for the whole block, so skipping them changes nothing but the work (for queries spread evenly
    /// over a prompt, about half the columns of one [rows, context] product are skipped with 16 blocks).
    /// </summary>
    private static Tensor PrefixBlocks(Tensor q, Tensor k, Tensor v, Tensor mask, IReadOnlyList<int> lengths)
    {
        int rows = (int)q.shape[2];
        int per = Math.Max(MinRowsPerBlock, (rows + MaxPrefixBlocks - 1) / MaxPrefixBlocks);
        if (per >= rows)
        {
            return scaled_dot_product_attention(q, k, v, mask);
        }
        var blocks = new List<Tensor>((rows + per - 1) / per);
        for (int start = 0; start < rows; start += per)
        {
            int count = Math.Min(per, rows - start);
            int ctx = lengths[start + count - 1];
            blocks.Add(scaled_dot_product_attention(
                q.narrow(2, start, count), k.narrow(2, 0, ctx), v.narrow(2, 0, ctx), mask.narrow(0, start, count).narrow(1, 0, ctx)));
        }
        return cat(blocks, 2);
    }

    /// <summary>The torch path for devices and dtypes the C# kernel does not serve: gather each sequence's K/V into a padded batch.</summary>
    private static Tensor GatheredDecode(
        int layer, Tensor q, long b, Tensor slots, Tensor? mask, PagedKvCache cache, long kvHeads, long group, long headDim)
    {
        long ctx = slots.shape[1];
        var qd = q.narrow(0, 0, b).view(b, kvHeads, group, headDim);
        var kd = cache.Keys(layer).index_select(0, slots.view(-1)).view(b, ctx, kvHeads, headDim).transpose(1, 2);
        var vd = cache.Values(layer).index_select(0, slots.view(-1)).view(b, ctx, kvHeads, headDim).transpose(1, 2);
        return scaled_dot_product_attention(qd, kd, vd, mask).reshape(b, -1);
    }
}
