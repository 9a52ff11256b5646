using System.Text.Json;
using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>One tensor's header entry in a safetensors file; offsets are relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    internal static SafetensorsEntry Parse(string path, string name, JsonElement value, long dataLength)
    {
        try
        {
            var dtypeName = value.GetProperty("dtype").GetString() ?? "";
            var dtype = dtypeName switch
            {
                "F32" => ScalarType.Float32,
                "F16" => ScalarType.Float16,
                "BF16" => ScalarType.BFloat16,
                "F64" => ScalarType.Float64,
                "I64" => ScalarType.Int64,
                "I32" => ScalarType.Int32,
                "I16" => ScalarType.Int16,
                "I8" => ScalarType.Int8,
                "U8" => ScalarType.Byte,
                "BOOL" => ScalarType.Bool,
                _ => throw new ModelLoadException($"{path}: tensor '{name}' has unsupported dtype '{dtypeName}'"),
            };
            var shape = value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            {
                throw new ModelLoadException(
                    $"{path}: corrupt safetensors header (tensor '{name}' data_offsets [{string.Join(", ", offsets)}] outside the {dataLength}-byte data section)");
            }
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            long expected = elements * ElementSize(dtype);
            if (expected != offsets[1] - offsets[0])
            {
                throw new ModelLoadException(
                    $"{path}: corrupt safetensors header (tensor '{name}' of shape [{string.Join(", ", shape)}] {dtypeName} needs {expected} bytes, header gives {offsets[1] - offsets[0]})");
            }
            return new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException($"{path}: corrupt safetensors header (tensor '{name}': {e.Message})", e);
        }
    }

    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
