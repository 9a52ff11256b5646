using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// Where one step's tokens live in the paged cache, built by the model runner and passed explicitly
/// through the forward pass (never global state). The batch is ordered: first the decode group (one new
/// token per sequence, attended together as a padded batch), then each multi-token chunk.
/// </summary>
public sealed record AttentionMetadata(
    Tensor SlotMapping,
    int NumDecodeTokens,
    Tensor? DecodeContextSlots,
    Tensor? DecodeMask,
    IReadOnlyList<ChunkAttention> Chunks);

/// <summary>
/// A multi-token chunk: <paramref name="QueryLength"/> tokens at positions [Start, Start + QueryLength) in
/// rows [Row, Row + QueryLength) of the batch, attending to positions [0, Start + QueryLength).
/// <paramref name="ContextSlots"/> is null when Start is 0 (the chunk attends to its own fresh K/V only).
/// <paramref name="PlainCausal"/>: <paramref name="Mask"/> is exactly "position q sees positions 0..q" (no sliding
/// window), so the attention may run as a causal kernel instead of a materialized mask.
/// <paramref name="RowContextLengths"/> (with a mask; non-decreasing): row i's mask allows no column at or past
/// RowContextLengths[i], so the attention may split the rows into blocks that each read only the context their
/// last row sees (a blend's selected tokens, scattered over the prompt, attend causally by absolute position).
/// </summary>
public sealed record ChunkAttention(
    int Row, int Start, int QueryLength, Tensor? ContextSlots, Tensor? Mask, bool PlainCausal = false, IReadOnlyList<int>? RowContextLengths = null);
