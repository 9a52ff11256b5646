using System.Security.Cryptography;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using static TorchSharp.torch;

namespace Platform.Engine.Lora;

/// <summary>
/// A LoRA adapter resident on the model's device: for each layer and target, A [r, in] and B [out, r];
/// the target's weight acts as W + scale·B·A. Loaded from (and saved to) PEFT's layout.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private readonly Dictionary<(int Layer, LoraTarget Target), (Tensor A, Tensor B)> _weights;
    private readonly Dictionary<(int Layer, LoraProjectionGroup Group), LoraFusedWeights> _fused = [];

    public LoraAdapter(string name, LoraAdapterConfig config, ModelConfig model, Dictionary<(int Layer, LoraTarget Target), (Tensor A, Tensor B)> weights, string? path = null)
    {
        Name = name;
        Config = config;
        Path = path;
        _weights = weights;
        Validate(model);
        BuildFused(model);
        CacheKey = ComputeCacheKey();
    }

    public string Name { get; }
    public LoraAdapterConfig Config { get; }
    /// <summary>The directory it was loaded from; null for adapters made in memory (training).</summary>
    public string? Path { get; }
    public int Rank => Config.Rank;
    public double Scale => Config.Scale;

    /// <summary>
    /// A hash of the adapter's weights and scale: folded into the prefix-cache salt so KV computed under one
    /// adapter is never reused under another (or under a reloaded adapter of the same name with other weights),
    /// and stable across processes so a shared chunk store keys it the same everywhere.
    /// </summary>
    public ulong CacheKey { get; }

    /// <summary>Requests holding the adapter; it is freed once unloaded and this drops to zero.</summary>
    internal int References { get; set; }
    internal bool Unloaded { get; set; }
    /// <summary>The registry's logical clock at the last acquire (least recently used idle adapters are evicted first).</summary>
    internal long LastUsed { get; set; }

    /// <summary>The (A, B) of a target, or null when the adapter does not target it.</summary>
    public (Tensor A, Tensor B)? Weights(int layer, LoraTarget target) =>
        _weights.TryGetValue((layer, target), out var w) ? w : null;

    internal LoraFusedWeights? Fused(int layer, LoraProjectionGroup group) =>
        _fused.TryGetValue((layer, group), out var f) ? f : null;

    /// <summary>scale·B·A [out, in]: what merging adds to the base weight.</summary>
    public Tensor DeltaWeight(int layer, LoraTarget target)
    {
        var (a, b) = _weights[(layer, target)];
        return b.matmul(a).mul(Scale);
    }

    /// <summary>Loads a PEFT adapter directory (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>) for this model.</summary>
    public static LoraAdapter Load(string name, string directory, ModelConfig model, ScalarType dtype, Device device)
    {
        if (!Directory.Exists(directory))
        {
            throw new LoraAdapterException($"adapter '{name}': directory {directory} not found");
        }
        var config = LoraAdapterConfig.Read(System.IO.Path.Combine(directory, "adapter_config.json"));
        var file = System.IO.Path.Combine(directory, "adapter_model.safetensors");
        if (!File.Exists(file))
        {
            throw new LoraAdapterException($"adapter '{name}': {file} not found (only safetensors adapters are loaded)");
        }
        SafetensorsFile st;
        try
        {
            st = SafetensorsFile.Open(file);
        }
        catch (ModelLoadException e)
        {
            throw new LoraAdapterException($"adapter '{name}': {e.Message}", LoraErrorKind.Invalid, e);
        }
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var weights = new Dictionary<(int, LoraTarget), (Tensor, Tensor)>();
        try
        {
            for (int layer = 0; layer < model.NumHiddenLayers; layer++)
            {
                foreach (var target in config.Targets)
                {
                    var (outF, inF) = LoraTargets.Shape(target, model);
                    var a = ReadTensor(st, name, LoraTargets.TensorName(layer, target, 'A'), [config.Rank, inF], dtype, device, expected);
                    var b = ReadTensor(st, name, LoraTargets.TensorName(layer, target, 'B'), [outF, config.Rank], dtype, device, expected);
                    weights[(layer, target)] = (a, b);
                }
            }
            var unexpected = st.TensorNames.Where(n => !expected.Contains(n)).Order(StringComparer.Ordinal).FirstOrDefault();
            if (unexpected is not null)
            {
                throw new LoraAdapterException(
                    $"adapter '{name}': {file} holds '{unexpected}', which is not a LoRA A/B weight of target_modules [{string.Join(", ", config.Targets.Select(LoraTargets.ShortName))}] in a {model.NumHiddenLayers}-layer model");
            }
            return new LoraAdapter(name, config, model, weights, directory);
        }
        catch
        {
            foreach (var (a, b) in weights.Values)
            {
                a.Dispose();
                b.Dispose();
            }
            throw;
        }
    }

    /// <summary>Writes the adapter in PEFT's layout, loadable by PEFT and by <see cref="Load"/>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Config.Write(System.IO.Path.Combine(directory, "adapter_config.json"));
        var tensors = _weights
            .OrderBy(kv => kv.Key.Layer).ThenBy(kv => kv.Key.Target)
            .SelectMany(kv => new[]
            {
                (LoraTargets.TensorName(kv.Key.Layer, kv.Key.Target, 'A'), kv.Value.A),
                (LoraTargets.TensorName(kv.Key.Layer, kv.Key.Target, 'B'), kv.Value.B),
            })
            .ToList();
        SafetensorsWriter.Write(System.IO.Path.Combine(directory, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static Tensor ReadTensor(SafetensorsFile st, string adapter, string tensorName, long[] shape, ScalarType dtype, Device device, HashSet<string> expected)
    {
        expected.Add(tensorName);
        if (!st.Contains(tensorName))
        {
            throw new LoraAdapterException($"adapter '{adapter}': {st.Path} is missing '{tensorName}'");
        }
        var entry = st.Entry(tensorName);
        if (!entry.Shape.SequenceEqual(shape))
        {
            throw new LoraAdapterException(
                $"adapter '{adapter}': '{tensorName}' has shape [{string.Join(", ", entry.Shape)}]; this model and rank need [{string.Join(", ", shape)}]");
        }
        if (entry.DType is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new LoraAdapterException($"adapter '{adapter}': '{tensorName}' has dtype {entry.DType}; LoRA weights must be f32, f16 or bf16");
        }
        using var raw = st.Read(tensorName);
        return raw.to(dtype, device).contiguous();
    }

    private void Validate(ModelConfig model)
    {
        foreach (var ((layer, target), (a, b)) in _weights)
        {
            var (outF, inF) = LoraTargets.Shape(target, model);
            if (layer < 0 || layer >= model.NumHiddenLayers
                || !a.shape.SequenceEqual([Rank, inF]) || !b.shape.SequenceEqual([outF, Rank]))
            {
                throw new LoraAdapterException(
                    $"adapter '{Name}': layer {layer} {LoraTargets.ShortName(target)} has A [{string.Join(", ", a.shape)}], B [{string.Join(", ", b.shape)}]; expected A [{Rank}, {inF}], B [{outF}, {Rank}]");
            }
        }
    }

    private void BuildFused(ModelConfig model)
    {
        long q = (long)model.NumAttentionHeads * model.HeadDim;
        long kv = (long)model.NumKeyValueHeads * model.HeadDim;
        long inter = model.IntermediateSize;
        var groups = new (LoraProjectionGroup Group, (LoraTarget Target, long OutOffset)[] Members)[]
        {
            (LoraProjectionGroup.Qkv, [(LoraTarget.QProj, 0), (LoraTarget.KProj, q), (LoraTarget.VProj, q + kv)]),
            (LoraProjectionGroup.O, [(LoraTarget.OProj, 0)]),
            (LoraProjectionGroup.GateUp, [(LoraTarget.GateProj, 0), (LoraTarget.UpProj, inter)]),
            (LoraProjectionGroup.Down, [(LoraTarget.DownProj, 0)]),
        };
        for (int layer = 0; layer < model.NumHiddenLayers; layer++)
        {
            foreach (var (group, members) in groups)
            {
                var parts = new List<LoraFusedPart>();
                var aParts = new List<Tensor>();
                long rankOffset = 0;
                foreach (var (target, outOffset) in members)
                {
                    if (_weights.TryGetValue((layer, target), out var w))
                    {
                        parts.Add(new LoraFusedPart(target, rankOffset, Rank, outOffset, w.B));
                        aParts.Add(w.A);
                        rankOffset += Rank;
                    }
                }
                if (parts.Count > 0)
                {
                    var a = aParts.Count == 1 ? aParts[0].alias() : cat(aParts, 0);
                    _fused[(layer, group)] = new LoraFusedWeights(a, parts);
                }
            }
        }
    }

    private ulong ComputeCacheKey()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(Scale));
        foreach (var (key, (a, b)) in _weights.OrderBy(kv => kv.Key.Layer).ThenBy(kv => kv.Key.Target))
        {
            hash.AppendData(BitConverter.GetBytes(key.Layer));
            hash.AppendData(BitConverter.GetBytes((int)key.Target));
            foreach (var t in new[] { a, b })
            {
                using var cpu = t.detach().cpu().contiguous();
                hash.AppendData(cpu.bytes);
            }
        }
        var digest = hash.GetHashAndReset();
        // Zero is the salt of "no adapter"; an adapter never hashes to it.
        return BitConverter.ToUInt64(digest, 0) | 1UL;
    }

    public void Dispose()
    {
        foreach (var f in _fused.Values)
        {
            f.A.Dispose();
        }
        foreach (var (a, b) in _weights.Values)
        {
            a.Dispose();
            b.Dispose();
        }
        _fused.Clear();
        _weights.Clear();
    }
}
