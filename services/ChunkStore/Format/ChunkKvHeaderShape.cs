using static TorchSharp.torch;

namespace Platform.ChunkStore.Format;

/// <summary>What a writer knows before laying a value out: the header's fields without the layer table.</summary>
public sealed record ChunkKvHeaderShape(
    ScalarType DType,
    int NumLayers,
    int NumKvHeads,
    int HeadDim,
    int FirstPosition,
    string RopeMode,
    IReadOnlyList<int> TokenIds);
