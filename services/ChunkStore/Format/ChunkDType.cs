using static TorchSharp.torch;

namespace Platform.ChunkStore.Format;

/// <summary>The element types a stored chunk's KV can have, with their codes in the binary format.</summary>
public static class ChunkDType
{
    public static byte Code(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 1,
        ScalarType.Float16 => 2,
        ScalarType.BFloat16 => 3,
        _ => throw new NotSupportedException($"chunk KV cannot be stored as {dtype}"),
    };

    public static ScalarType FromCode(byte code) => code switch
    {
        1 => ScalarType.Float32,
        2 => ScalarType.Float16,
        3 => ScalarType.BFloat16,
        _ => throw new FormatException($"unknown chunk KV dtype code {code}"),
    };

    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new NotSupportedException($"chunk KV cannot be stored as {dtype}"),
    };

    public static int ElementSize(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 2;
}
