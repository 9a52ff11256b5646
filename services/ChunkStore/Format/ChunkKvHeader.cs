using static TorchSharp.torch;

namespace Platform.ChunkStore.Format;

/// <summary>
/// The header of a stored chunk (see ChunkKvFormat.md): what the KV is (dtype, shapes, RoPE mode,
/// positions), the chunk's token ids (so a chunk looked up by id can be placed into a prompt), and where
/// each layer lies with its checksum.
/// </summary>
public sealed record ChunkKvHeader(
    ScalarType DType,
    int NumLayers,
    int NumKvHeads,
    int HeadDim,
    int FirstPosition,
    string RopeMode,
    IReadOnlyList<int> TokenIds,
    IReadOnlyList<ChunkLayerEntry> Layers)
{
    public int TokenCount => TokenIds.Count;

    /// <summary>Bytes of K (or V) for one layer: tokens x kv_heads x head_dim x element size.</summary>
    public int TensorBytes => TokenCount * NumKvHeads * HeadDim * ChunkDType.ElementSize(DType);

    /// <summary>Header plus every layer: the whole value's length.</summary>
    public long TotalBytes => Layers.Count == 0 ? 0 : Layers[^1].Offset + Layers[^1].Length;
}
