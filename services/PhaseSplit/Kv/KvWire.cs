using System.IO.Hashing;
using TorchSharp;

namespace Platform.PhaseSplit.Kv;

/// <summary>The KV transfer's wire format: limits, layout, dtype names and the per-chunk checksum.</summary>
public static class KvWire
{
    public const int SchemaVersion = 1;

    /// <summary>The layout of every chunk's K and V bytes.</summary>
    public const string Layout = "token-major [tokens, kv_heads, head_dim]";

    /// <summary>Dapr's default gRPC message limit; no KV message is larger.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Room for a chunk's other fields and protobuf framing within <see cref="MaxMessageBytes"/>.</summary>
    public const int MessageOverheadBytes = 4 * 1024;

    /// <summary>What a channel or server accepts: one full KV message and the gRPC framing around it.</summary>
    public const int MaxGrpcMessageBytes = MaxMessageBytes + 64 * 1024;

    public static string DTypeName(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.Float16 => "float16",
        torch.ScalarType.BFloat16 => "bfloat16",
        _ => throw new NotSupportedException($"KV dtype {dtype} has no wire name"),
    };

    public static int ElementSize(torch.ScalarType dtype) => dtype == torch.ScalarType.Float32 ? 4 : 2;

    /// <summary>CRC-32 (IEEE) over the keys followed by the values.</summary>
    public static uint Checksum(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values)
    {
        var crc = new Crc32();
        crc.Append(keys);
        crc.Append(values);
        return crc.GetCurrentHashAsUInt32();
    }
}
