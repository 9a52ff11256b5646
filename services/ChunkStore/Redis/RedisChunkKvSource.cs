using Platform.ChunkStore.Format;
using Platform.ChunkStore.Keys;
using Platform.Engine.Blending;
using static TorchSharp.torch;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// A stored chunk as the engine's blend reads it: one GETRANGE per layer, checked against the header's
/// length and CRC-32 before it becomes tensors. Redis down, slow, a value that vanished or shrank, or bytes
/// that fail their checksum: <see cref="ChunkKvUnavailableException"/>, and the request falls back to full prefill.
/// </summary>
public sealed class RedisChunkKvSource(RedisChunkStore store, StoredChunk chunk) : IChunkKvSource
{
    public StoredChunk Chunk => chunk;

    public TenantNamespace Namespace => chunk.Namespace;

    public ChunkKey Key => chunk.Key;

    public int TokenCount => chunk.Header.TokenCount;

    public int FirstPosition => chunk.Header.FirstPosition;

    public async Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken)
    {
        var header = chunk.Header;
        if ((uint)layer >= (uint)header.NumLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the chunk has {header.NumLayers} layers");
        }
        var entry = header.Layers[layer];
        string redisKey = chunk.Namespace.RedisKey(chunk.Key);
        var payload = await store.ReadAsync("layer", redisKey, entry.Offset, entry.Length, cancellationToken).ConfigureAwait(false);
        try
        {
            ChunkKvFormat.CheckLayer(header, layer, payload.Span, chunk.Key.Id);
            return ToLayer(header, payload.Memory, owner: payload);
        }
        catch (ChunkKvUnavailableException e)
        {
            payload.Dispose();
            store.RecordCorrupt("layer", redisKey, e.Message);
            throw;
        }
    }

    /// <summary>
    /// K and V of one layer's checked payload, [tokens, kv_heads, head_dim] each, over the payload's bytes;
    /// <paramref name="owner"/> (the payload's buffer) is disposed with the layer.
    /// </summary>
    public static ChunkKvLayer ToLayer(ChunkKvHeader header, ReadOnlyMemory<byte> payload, IDisposable? owner = null)
    {
        int bytes = header.TensorBytes;
        return ChunkKvLayer.FromBytes(payload[..bytes], payload[bytes..], header.DType, [header.TokenCount, header.NumKvHeads, header.HeadDim], owner);
    }
}
