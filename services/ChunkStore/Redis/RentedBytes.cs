using System.Buffers;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// Bytes read from Redis: a buffer rented from <see cref="ArrayPool{T}.Shared"/> (returned on the first
/// <see cref="Dispose"/>), or a plain array. Whoever holds it disposes it once nothing reads its bytes any more.
/// </summary>
public sealed class RentedBytes : IDisposable
{
    private byte[]? _array;
    private readonly bool _pooled;

    private RentedBytes(byte[] array, int length, bool pooled)
    {
        _array = array;
        Length = length;
        _pooled = pooled;
    }

    public static RentedBytes Empty { get; } = new([], 0, pooled: false);

    /// <summary>A pooled buffer of at least <paramref name="length"/> bytes, of which the first <paramref name="length"/> count.</summary>
    public static RentedBytes Rent(int length) =>
        length == 0 ? Empty : new(ArrayPool<byte>.Shared.Rent(length), length, pooled: true);

    /// <summary>Wraps an array that nobody else writes to (no pool).</summary>
    public static RentedBytes Of(byte[] array) => new(array, array.Length, pooled: false);

    public int Length { get; }

    public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(RentedBytes))).AsMemory(0, Length);

    public Span<byte> Span => Memory.Span;

    /// <summary>Returns a pooled buffer (once; later calls do nothing); a plain array stays readable.</summary>
    public void Dispose()
    {
        if (_pooled && Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
