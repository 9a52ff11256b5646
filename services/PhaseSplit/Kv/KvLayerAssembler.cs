using Grpc.Core;
using Platform.Contracts.Inference.V1;
using static TorchSharp.torch;

namespace Platform.PhaseSplit.Kv;

/// <summary>
/// The receiving side of a transfer: checks each chunk (layer, token range in order, sizes, CRC-32) and
/// hands back a layer's K and V as tensors as soon as all its token ranges are in. Chunks of one layer
/// arrive in token order; layers may interleave.
/// </summary>
public sealed class KvLayerAssembler
{
    private readonly KvGeometry _geometry;
    private readonly int _numTokens;
    private readonly int[] _received;
    private readonly byte[]?[] _keys;
    private readonly byte[]?[] _values;

    public KvLayerAssembler(KvGeometry geometry, int numTokens)
    {
        _geometry = geometry;
        _numTokens = numTokens;
        _received = new int[geometry.NumLayers];
        _keys = new byte[geometry.NumLayers][];
        _values = new byte[geometry.NumLayers][];
    }

    public long BytesReceived { get; private set; }

    public int ChunksReceived { get; private set; }

    public int LayersCompleted { get; private set; }

    public bool IsComplete => LayersCompleted == _geometry.NumLayers;

    /// <summary>Takes one chunk; returns the layer's tensors when it completed the layer (the caller disposes them).</summary>
    public (Tensor Keys, Tensor Values)? Add(KvLayerChunk chunk)
    {
        int layer = chunk.Layer;
        Require(layer >= 0 && layer < _geometry.NumLayers, StatusCode.InvalidArgument, $"chunk for layer {layer}; the model has {_geometry.NumLayers}");
        Require(_received[layer] < _numTokens, StatusCode.InvalidArgument, $"layer {layer} was already complete");
        Require(chunk.TokenStart == _received[layer] && chunk.TokenCount > 0 && chunk.TokenStart + chunk.TokenCount <= _numTokens,
            StatusCode.InvalidArgument,
            $"layer {layer} chunk covers tokens [{chunk.TokenStart}, {chunk.TokenStart + chunk.TokenCount}); expected it to start at {_received[layer]} within {_numTokens} tokens");
        int bytes = chunk.TokenCount * _geometry.BytesPerTokenPerLayer;
        Require(chunk.Keys.Length == bytes && chunk.Values.Length == bytes, StatusCode.InvalidArgument,
            $"layer {layer} chunk of {chunk.TokenCount} tokens carries {chunk.Keys.Length}/{chunk.Values.Length} bytes of K/V; expected {bytes} each");
        uint crc = KvWire.Checksum(chunk.Keys.Span, chunk.Values.Span);
        Require(crc == chunk.Crc32, StatusCode.DataLoss,
            $"layer {layer} tokens [{chunk.TokenStart}, {chunk.TokenStart + chunk.TokenCount}) failed its checksum (crc32 {crc:x8}, sent {chunk.Crc32:x8})");

        BytesReceived += 2L * bytes;
        ChunksReceived++;
        int offset = chunk.TokenStart * _geometry.BytesPerTokenPerLayer;
        _received[layer] += chunk.TokenCount;
        bool whole = chunk.TokenStart == 0 && chunk.TokenCount == _numTokens;
        if (!whole)
        {
            var total = _numTokens * _geometry.BytesPerTokenPerLayer;
            chunk.Keys.Span.CopyTo((_keys[layer] ??= new byte[total]).AsSpan(offset));
            chunk.Values.Span.CopyTo((_values[layer] ??= new byte[total]).AsSpan(offset));
        }
        if (_received[layer] < _numTokens)
        {
            return null;
        }
        LayersCompleted++;
        var keys = whole ? ToTensor(chunk.Keys.Span) : ToTensor(_keys[layer]);
        var values = whole ? ToTensor(chunk.Values.Span) : ToTensor(_values[layer]);
        _keys[layer] = null;
        _values[layer] = null;
        return (keys, values);
    }

    private Tensor ToTensor(ReadOnlySpan<byte> bytes)
    {
        var tensor = empty([_numTokens, _geometry.NumKvHeads, _geometry.HeadDim], _geometry.DType);
        bytes.CopyTo(tensor.bytes);
        return tensor;
    }

    private static void Require(bool ok, StatusCode status, string message)
    {
        if (!ok)
        {
            throw Faults.Of(status, message);
        }
    }
}
