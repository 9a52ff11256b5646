using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using static TorchSharp.torch;

namespace Platform.PhaseSplit.Kv;

/// <summary>
/// Cuts one layer's K and V ([tokens, kv_heads, head_dim], CPU) into chunks by token range so that no
/// message exceeds the limit; a layer that fits goes as one chunk.
/// </summary>
public static class KvLayerChunker
{
    public static List<KvLayerChunk> Split(int layer, Tensor keys, Tensor values, int maxMessageBytes = KvWire.MaxMessageBytes)
    {
        if (!keys.shape.SequenceEqual(values.shape) || keys.shape.Length != 3)
        {
            throw new ArgumentException($"layer {layer}: K [{string.Join(", ", keys.shape)}] and V [{string.Join(", ", values.shape)}] must both be [tokens, kv_heads, head_dim]");
        }
        using var k = keys.contiguous();
        using var v = values.contiguous();
        int tokens = (int)keys.shape[0];
        int bytesPerToken = (int)(keys.shape[1] * keys.shape[2]) * KvWire.ElementSize(keys.dtype);
        int payload = Math.Max(1, maxMessageBytes - KvWire.MessageOverheadBytes);
        int tokensPerChunk = Math.Max(1, payload / (2 * bytesPerToken));
        ReadOnlySpan<byte> kBytes = k.bytes;
        ReadOnlySpan<byte> vBytes = v.bytes;
        var chunks = new List<KvLayerChunk>((tokens + tokensPerChunk - 1) / tokensPerChunk);
        for (int start = 0; start < tokens; start += tokensPerChunk)
        {
            int count = Math.Min(tokensPerChunk, tokens - start);
            var kPart = kBytes.Slice(start * bytesPerToken, count * bytesPerToken);
            var vPart = vBytes.Slice(start * bytesPerToken, count * bytesPerToken);
            chunks.Add(new KvLayerChunk
            {
                Layer = layer,
                TokenStart = start,
                TokenCount = count,
                Keys = ByteString.CopyFrom(kPart),
                Values = ByteString.CopyFrom(vPart),
                Crc32 = KvWire.Checksum(kPart, vPart),
            });
        }
        return chunks;
    }
}
