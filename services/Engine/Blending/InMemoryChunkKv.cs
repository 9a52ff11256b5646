using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// A chunk's KV held in process memory (tests, benchmarks, a local cache in front of a store): every layer's
/// K and V [tokens, kv_heads, head_dim] on the CPU. Each load hands out a copy the receiver disposes.
/// </summary>
public sealed class InMemoryChunkKv : IChunkKvSource, IDisposable
{
    private readonly ChunkKvLayer[] _layers;
    private int _loads;

    /// <param name="layers">Per layer K and V; this object takes ownership of the tensors.</param>
    public InMemoryChunkKv(IReadOnlyList<ChunkKvLayer> layers, int firstPosition)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("a chunk's KV needs at least one layer", nameof(layers));
        }
        _layers = [.. layers];
        TokenCount = (int)_layers[0].KeysShape[0];
        FirstPosition = firstPosition;
    }

    public int TokenCount { get; }

    public int FirstPosition { get; }

    public int NumLayers => _layers.Length;

    /// <summary>Layer loads served so far (a test sees whether an entry was reused).</summary>
    public int LoadCount => Volatile.Read(ref _loads);

    /// <summary>Bytes of K plus V over all layers.</summary>
    public long Bytes => _layers.Sum(l => l.Bytes);

    /// <summary>The stored layer itself (not a copy; do not dispose).</summary>
    public ChunkKvLayer Layer(int layer) => _layers[layer];

    public Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken)
    {
        if ((uint)layer >= (uint)_layers.Length)
        {
            throw new ChunkKvUnavailableException($"the chunk's KV has {_layers.Length} layers; layer {layer} was asked for");
        }
        Interlocked.Increment(ref _loads);
        var stored = _layers[layer];
        return Task.FromResult(new ChunkKvLayer(stored.Keys.clone(), stored.Values.clone()));
    }

    public void Dispose()
    {
        foreach (var layer in _layers)
        {
            layer.Dispose();
        }
    }
}
