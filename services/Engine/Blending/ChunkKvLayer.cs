using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// One layer of a precomputed chunk's KV: keys and values [tokens, kv_heads, head_dim] on the CPU. Keys are stored
/// after RoPE, at the positions the chunk had when it was computed (<see cref="IChunkKvSource.FirstPosition"/>
/// onwards); the blend re-rotates them to their new positions. Either tensors, or the bytes a store returned
/// (row-major, little-endian), which become tensors only when <see cref="Keys"/> or <see cref="Values"/> is read:
/// the cache placement reads the bytes in place, saving a copy of every layer. The receiver disposes it (and with
/// it the tensors it holds or made). Not thread-safe: one consumer at a time.
/// </summary>
public sealed class ChunkKvLayer : IDisposable
{
    private readonly ReadOnlyMemory<byte> _keyBytes;
    private readonly ReadOnlyMemory<byte> _valueBytes;
    private IDisposable? _owner;
    private Tensor? _keys;
    private Tensor? _values;

    /// <summary>A layer as tensors, which it takes ownership of.</summary>
    public ChunkKvLayer(Tensor keys, Tensor values)
    {
        _keys = keys;
        _values = values;
        KeysShape = keys.shape;
        ValuesShape = values.shape;
        DType = keys.dtype;
        Bytes = (keys.NumberOfElements * keys.ElementSize) + (values.NumberOfElements * values.ElementSize);
    }

    private ChunkKvLayer(ReadOnlyMemory<byte> keys, ReadOnlyMemory<byte> values, ScalarType dtype, long[] shape, IDisposable? owner)
    {
        _keyBytes = keys;
        _valueBytes = values;
        _owner = owner;
        KeysShape = shape;
        ValuesShape = shape;
        DType = dtype;
        Bytes = keys.Length + (long)values.Length;
    }

    /// <summary>
    /// A layer over the bytes of K and V of <paramref name="shape"/> (not copied: they must not change while the
    /// layer lives), whose <paramref name="owner"/> (a pooled buffer holding them) the layer disposes with itself.
    /// Throws <see cref="ChunkKvUnavailableException"/> when a length does not match the shape.
    /// </summary>
    public static ChunkKvLayer FromBytes(ReadOnlyMemory<byte> keys, ReadOnlyMemory<byte> values, ScalarType dtype, long[] shape, IDisposable? owner = null)
    {
        long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
        if (keys.Length != expected || values.Length != expected)
        {
            throw new ChunkKvUnavailableException(
                $"chunk KV bytes {keys.Length}/{values.Length} do not match [{string.Join(", ", shape)}] of {dtype} ({expected} bytes each)");
        }
        return new ChunkKvLayer(keys, values, dtype, shape, owner);
    }

    public long[] KeysShape { get; }

    public long[] ValuesShape { get; }

    public ScalarType DType { get; }

    /// <summary>Bytes of K plus V.</summary>
    public long Bytes { get; }

    public Tensor Keys => _keys ??= ToTensor(_keyBytes, KeysShape);

    public Tensor Values => _values ??= ToTensor(_valueBytes, ValuesShape);

    /// <summary>The bytes of K and V when the layer came as bytes; false for a layer made of tensors.</summary>
    public bool TryGetBytes(out ReadOnlyMemory<byte> keys, out ReadOnlyMemory<byte> values)
    {
        bool fromBytes = !_keyBytes.IsEmpty || !_valueBytes.IsEmpty;
        (keys, values) = fromBytes ? (_keyBytes, _valueBytes) : (default, default);
        return fromBytes;
    }

    /// <summary>Frees the tensors and gives the bytes back to their owner; the bytes must not be read after it.</summary>
    public void Dispose()
    {
        _keys?.Dispose();
        _values?.Dispose();
        Interlocked.Exchange(ref _owner, null)?.Dispose();
    }

    private Tensor ToTensor(ReadOnlyMemory<byte> bytes, long[] shape)
    {
        // Owned by this layer, whatever dispose scope asked for it first.
        var t = empty(shape, DType).DetachFromDisposeScope();
        bytes.Span.CopyTo(t.bytes);
        return t;
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => throw new ChunkKvUnavailableException($"chunk KV cannot be held as {dtype}"),
    };
}
