using Platform.Engine.Configuration;
using static TorchSharp.torch;

namespace Platform.Engine.KvCache;

/// <summary>
/// The device memory of the paged KV cache: per layer one K and one V tensor of
/// [blocks * block_size slots, kv_heads, head_dim]. Slot s belongs to block s / block_size. Which block
/// belongs to which sequence is the block manager's business (CPU code); this class only moves tensors.
/// </summary>
public sealed class PagedKvCache : IDisposable
{
    private readonly Tensor _storage;
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public PagedKvCache(ModelConfig config, int numBlocks, int blockSize, ScalarType dtype, Device device)
    {
        NumLayers = config.NumHiddenLayers;
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        NumKvHeads = config.NumKeyValueHeads;
        HeadDim = config.HeadDim;
        DType = dtype;
        _storage = empty([NumLayers, 2, (long)numBlocks * blockSize, NumKvHeads, HeadDim], dtype, device);
        HugePages.Advise(_storage);
        _storage.zero_();
        _keys = new Tensor[NumLayers];
        _values = new Tensor[NumLayers];
        for (int l = 0; l < NumLayers; l++)
        {
            _keys[l] = _storage[l, 0];
            _values[l] = _storage[l, 1];
        }
    }

    public int NumLayers { get; }
    public int NumBlocks { get; }
    public int BlockSize { get; }
    public int NumKvHeads { get; }
    public int HeadDim { get; }
    public ScalarType DType { get; }

    /// <summary>Bytes of K plus V for one token across all layers.</summary>
    public long BytesPerToken => BytesPerTokenFor(NumLayers, NumKvHeads, HeadDim, DType);

    public static long BytesPerTokenFor(int layers, int kvHeads, int headDim, ScalarType dtype) =>
        2L * layers * kvHeads * headDim * Loading.SafetensorsEntry.ElementSize(dtype);

    /// <summary>How many blocks fit in <paramref name="bytes"/>.</summary>
    public static int BlocksForBudget(ModelConfig config, long bytes, int blockSize, ScalarType dtype) =>
        (int)Math.Min(int.MaxValue, bytes / (blockSize * BytesPerTokenFor(config.NumHiddenLayers, config.NumKeyValueHeads, config.HeadDim, dtype)));

    public Tensor Keys(int layer) => _keys[layer];

    public Tensor Values(int layer) => _values[layer];

    /// <summary>Writes K/V [tokens, kv_heads, head_dim] of one layer into their slots.</summary>
    public void Write(int layer, Tensor slots, Tensor keys, Tensor values)
    {
        _keys[layer].index_copy_(0, slots, keys);
        _values[layer].index_copy_(0, slots, values);
    }

    /// <summary>Slot index of every position in [0, count) of a sequence with this block table.</summary>
    public long[] SlotsOf(IReadOnlyList<int> blockTable, int start, int count)
    {
        var slots = new long[count];
        for (int i = 0; i < count; i++)
        {
            int pos = start + i;
            slots[i] = (long)blockTable[pos / BlockSize] * BlockSize + pos % BlockSize;
        }
        return slots;
    }

    /// <summary>
    /// Copies one layer's K and V of the first <paramref name="numTokens"/> positions out of the cache, as
    /// [tokens, kv_heads, head_dim] tensors (the unit a layer-by-layer KV transfer ships).
    /// </summary>
    public (Tensor Keys, Tensor Values) ExportLayer(int layer, IReadOnlyList<int> blockTable, int numTokens)
    {
        using var slots = tensor(SlotsOf(blockTable, 0, numTokens), device: _storage.device);
        return (_keys[layer].index_select(0, slots), _values[layer].index_select(0, slots));
    }

    /// <summary>
    /// <see cref="ExportLayer"/> copied to the CPU and owned by the caller: in no dispose scope (a layer sink or a
    /// snapshot keeps it past the step); the gather's own tensors are freed here.
    /// </summary>
    public (Tensor Keys, Tensor Values) CopyLayerToHost(int layer, IReadOnlyList<int> blockTable, int numTokens)
    {
        using var scope = NewDisposeScope();
        var (keys, values) = ExportLayer(layer, blockTable, numTokens);
        return (keys.cpu().DetachFromDisposeScope(), values.cpu().DetachFromDisposeScope());
    }

    /// <summary>Writes one layer's K and V for positions [0, tokens) into a sequence's blocks (KV computed elsewhere).</summary>
    public void ImportLayer(int layer, IReadOnlyList<int> blockTable, Tensor keys, Tensor values)
    {
        int numTokens = (int)keys.shape[0];
        if (keys.shape.Length != 3 || keys.shape[1] != NumKvHeads || keys.shape[2] != HeadDim
            || !keys.shape.SequenceEqual(values.shape))
        {
            throw new ArgumentException(
                $"KV import for layer {layer} has shapes [{string.Join(", ", keys.shape)}]/[{string.Join(", ", values.shape)}], expected [tokens, {NumKvHeads}, {HeadDim}]");
        }
        if (blockTable.Count * BlockSize < numTokens)
        {
            throw new ArgumentException($"KV import of {numTokens} tokens does not fit {blockTable.Count} blocks");
        }
        using var slots = tensor(SlotsOf(blockTable, 0, numTokens), device: _storage.device);
        using var k = keys.to(DType, _storage.device);
        using var v = values.to(DType, _storage.device);
        Write(layer, slots, k, v);
    }

    public void Dispose()
    {
        foreach (var t in _keys)
        {
            t.Dispose();
        }
        foreach (var t in _values)
        {
            t.Dispose();
        }
        _storage.Dispose();
    }
}
