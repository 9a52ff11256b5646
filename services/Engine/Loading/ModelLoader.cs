using Platform.Engine.Configuration;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>Builds a <see cref="LlamaModel"/> from a Hugging Face directory or from dummy weights.</summary>
public static class ModelLoader
{
    /// <summary>Loads config.json and the safetensors weights of <paramref name="directory"/>.</summary>
    public static LlamaModel Load(string directory, EngineOptions options)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelLoadException($"{directory}: model directory not found");
        }
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        using var weights = SafetensorsCheckpoint.Open(directory);
        return Create(config, weights, options);
    }

    /// <summary>Random weights of the given shape (the <c>dummy</c> load mode).</summary>
    public static LlamaModel CreateDummy(ModelConfig config, EngineOptions options)
    {
        using var weights = new DummyWeights(options.DummySeed);
        return Create(config, weights, options);
    }

    public static LlamaModel Create(ModelConfig config, IWeightSource weights, EngineOptions options)
    {
        config.Validate();
        if (options.CpuThreads is int threads)
        {
            set_num_threads(threads);
            KernelThreads.Configure(threads);
        }
        if (options.RetainHostMemory)
        {
            KvCache.HostMemory.RetainFreedMemory();
        }
        int maxPositions = MaxModelLength(config, options);
        return new LlamaModel(config, weights, ParseDType(options.DType), new Device(options.Device), maxPositions);
    }

    public static int MaxModelLength(ModelConfig config, EngineOptions options) =>
        options.MaxModelLength ?? config.MaxPositionEmbeddings;

    public static ScalarType ParseDType(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"unsupported dtype '{name}' (use float32, float16 or bfloat16)"),
    };
}
