using System.Text.Json;
using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>
/// The weights of a Hugging Face model directory: <c>model.safetensors</c>, or the shards listed in
/// <c>model.safetensors.index.json</c>. f32, f16 and bf16 tensors are converted to the compute dtype.
/// </summary>
public sealed class SafetensorsCheckpoint : IWeightSource
{
    private readonly Dictionary<string, SafetensorsFile> _fileOfTensor;

    private SafetensorsCheckpoint(string directory, Dictionary<string, SafetensorsFile> fileOfTensor)
    {
        Directory = directory;
        _fileOfTensor = fileOfTensor;
    }

    public string Directory { get; }

    public IReadOnlyCollection<string> TensorNames => _fileOfTensor.Keys;

    public static SafetensorsCheckpoint Open(string directory)
    {
        var index = System.IO.Path.Combine(directory, "model.safetensors.index.json");
        var single = System.IO.Path.Combine(directory, "model.safetensors");
        var map = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        if (File.Exists(index))
        {
            var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in ReadIndex(index))
            {
                if (!shards.TryGetValue(shard, out var file))
                {
                    var shardPath = System.IO.Path.Combine(directory, shard);
                    if (!File.Exists(shardPath))
                    {
                        throw new ModelLoadException($"{index}: shard '{shard}' (holding '{tensor}') not found");
                    }
                    file = SafetensorsFile.Open(shardPath);
                    shards[shard] = file;
                }
                if (!file.Contains(tensor))
                {
                    throw new ModelLoadException($"{index}: tensor '{tensor}' is not in its shard '{shard}'");
                }
                map[tensor] = file;
            }
        }
        else if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            foreach (var name in file.TensorNames)
            {
                map[name] = file;
            }
        }
        else
        {
            throw new ModelLoadException(
                $"{directory}: no model.safetensors or model.safetensors.index.json (only safetensors checkpoints are supported)");
        }
        return new SafetensorsCheckpoint(directory, map);
    }

    public bool Contains(string name) => _fileOfTensor.ContainsKey(name);

    public Tensor Load(string name, long[] shape, ScalarType dtype, Device device)
    {
        if (!_fileOfTensor.TryGetValue(name, out var file))
        {
            throw new ModelLoadException($"{Directory}: checkpoint is missing tensor '{name}'");
        }
        var entry = file.Entry(name);
        if (!entry.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(
                $"{file.Path}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the config implies [{string.Join(", ", shape)}]");
        }
        if (entry.DType is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new ModelLoadException($"{file.Path}: tensor '{name}' has dtype {entry.DType}; weights must be f32, f16 or bf16");
        }
        var raw = file.Read(name);
        if (raw.dtype == dtype && raw.device.type == device.type)
        {
            return raw;
        }
        using (raw)
        {
            return raw.to(dtype, device);
        }
    }

    public void Dispose()
    {
    }

    private static IEnumerable<(string Tensor, string Shard)> ReadIndex(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: invalid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{path}: no weight_map object");
            }
            return [.. weightMap.EnumerateObject().Select(p => (p.Name, p.Value.GetString() ?? ""))];
        }
    }
}
