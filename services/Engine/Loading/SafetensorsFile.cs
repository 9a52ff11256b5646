using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>
/// One <c>.safetensors</c> file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw data. Tensors are read on demand, straight into tensor memory.
/// </summary>
public sealed class SafetensorsFile
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly long _dataStart;

    private SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, long dataStart)
    {
        Path = path;
        _entries = entries;
        _dataStart = dataStart;
    }

    public string Path { get; }

    public IReadOnlyCollection<string> TensorNames => _entries.Keys;

    public bool Contains(string name) => _entries.ContainsKey(name);

    public SafetensorsEntry Entry(string name) => _entries.TryGetValue(name, out var e)
        ? e
        : throw new ModelLoadException($"{Path}: tensor '{name}' not found");

    /// <summary>Parses the header and checks every byte range against the file size.</summary>
    public static SafetensorsFile Open(string path)
    {
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
        {
            throw new ModelLoadException($"{path}: corrupt safetensors file (shorter than its 8-byte header length)");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > (ulong)MaxHeaderBytes || 8 + (long)headerLength > fileLength)
        {
            throw new ModelLoadException(
                $"{path}: corrupt safetensors header (declared header length {headerLength}, file length {fileLength})");
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        var entries = ParseHeader(path, header, fileLength - dataStart);
        return new SafetensorsFile(path, entries, dataStart);
    }

    /// <summary>Reads one tensor into a new CPU tensor of its stored dtype.</summary>
    public Tensor Read(string name)
    {
        var entry = Entry(name);
        var tensor = empty(entry.Shape, entry.DType, CPU);
        KvCache.HugePages.Advise(tensor);
        if (entry.ByteLength > 0)
        {
            using var handle = File.OpenHandle(Path);
            var span = tensor.bytes;
            int read = 0;
            while (read < span.Length)
            {
                int n = RandomAccess.Read(handle, span[read..], _dataStart + entry.Begin + read);
                if (n == 0)
                {
                    tensor.Dispose();
                    throw new ModelLoadException($"{Path}: tensor '{name}' is truncated");
                }
                read += n;
            }
        }
        return tensor;
    }

    private static Dictionary<string, SafetensorsEntry> ParseHeader(string path, byte[] header, long dataLength)
    {
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: corrupt safetensors header (invalid JSON: {e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{path}: corrupt safetensors header (not a JSON object)");
            }
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }
                entries[property.Name] = SafetensorsEntry.Parse(path, property.Name, property.Value, dataLength);
            }
        }
        return entries;
    }
}
