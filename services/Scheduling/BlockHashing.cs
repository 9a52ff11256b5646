using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Platform.Engine.Scheduling;

internal static class BlockHashing
{
    /// <summary>Parent hash of a sequence's first block.</summary>
    public static readonly UInt128 Root = new(0x9E3779B97F4A7C15, 0xF39CC0605CEDC834);

    private const int StackLimitBytes = 1024;

    /// <summary>XxHash128 over the little-endian bytes of parent hash, salt and token ids.</summary>
    public static UInt128 XxHash128Chained(UInt128 parentHash, ulong salt, ReadOnlySpan<int> tokenIds)
    {
        var length = 24 + (4 * tokenIds.Length);
        byte[]? rented = null;
        var buffer = length <= StackLimitBytes
            ? stackalloc byte[StackLimitBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            BinaryPrimitives.WriteUInt128LittleEndian(buffer, parentHash);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[16..], salt);
            for (var i = 0; i < tokenIds.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer[(24 + (4 * i))..], tokenIds[i]);
            }

            return XxHash128.HashToUInt128(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
