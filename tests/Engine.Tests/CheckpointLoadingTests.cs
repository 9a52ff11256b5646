using System.Text;
using System.Text.Json;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

public sealed class CheckpointLoadingTests : IDisposable
{
    private const string TinyConfig = """
        {"architectures": ["LlamaForCausalLM"], "hidden_size": 16, "intermediate_size": 24,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 32,
         "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "tie_word_embeddings": false}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("ckpt-").FullName;

    private static List<(string Name, Tensor Tensor)> TinyWeights()
    {
        var config = JsonSerializer.Deserialize<ModelConfig>(TinyConfig)!;
        using var dummy = new DummyWeights(5);
        return [.. CheckpointLayout.Tensors(config).Select(t => (t.Name, dummy.Load(t.Name, t.Shape, ScalarType.Float32, CPU)))];
    }

    private void WriteModel(IReadOnlyList<(string Name, Tensor Tensor)> weights)
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), TinyConfig);
        SafetensorsWriter.Write(Path.Combine(_dir, "model.safetensors"), weights);
    }

    private ModelLoadException LoadFails() =>
        Assert.Throws<ModelLoadException>(() => ModelLoader.Load(_dir, new EngineOptions()).Dispose());

    [Fact]
    public void A_missing_tensor_is_named()
    {
        WriteModel([.. TinyWeights().Where(w => w.Name != "model.layers.1.mlp.up_proj.weight")]);
        Assert.Contains("missing tensor 'model.layers.1.mlp.up_proj.weight'", LoadFails().Message);
    }

    [Fact]
    public void A_wrong_shape_names_the_tensor_and_both_shapes()
    {
        var weights = TinyWeights();
        int i = weights.FindIndex(w => w.Name == "model.layers.0.self_attn.k_proj.weight");
        weights[i] = (weights[i].Name, zeros(16, 16));
        WriteModel(weights);
        var message = LoadFails().Message;
        Assert.Contains("'model.layers.0.self_attn.k_proj.weight' has shape [16, 16], the config implies [8, 16]", message);
    }

    [Theory]
    [InlineData("length")]
    [InlineData("json")]
    [InlineData("offsets")]
    [InlineData("short")]
    public void A_corrupt_safetensors_header_is_reported(string corruption)
    {
        WriteModel(TinyWeights());
        var path = Path.Combine(_dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        switch (corruption)
        {
            case "length":
                BitConverter.GetBytes(ulong.MaxValue / 2).CopyTo(bytes, 0);
                break;
            case "json":
                bytes[8] = (byte)'#';
                break;
            case "offsets":
                bytes = bytes[..(bytes.Length - 100)];
                break;
            case "short":
                bytes = bytes[..5];
                break;
        }
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt safetensors", LoadFails().Message);
    }

    [Fact]
    public void Missing_weights_and_config_are_reported()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), TinyConfig);
        Assert.Contains("no model.safetensors", LoadFails().Message);
        File.Delete(Path.Combine(_dir, "config.json"));
        Assert.Contains("config.json not found", LoadFails().Message);
    }

    [Fact]
    public void A_sharded_checkpoint_loads_to_the_same_model_as_a_single_file()
    {
        var weights = TinyWeights();
        WriteModel(weights);
        var tokens = tensor(new long[] { 1, 5, 9, 3 });
        float[] Logits()
        {
            using var model = ModelLoader.Load(_dir, new EngineOptions());
            using var harness = new RunnerHarness(model, 8, 4);
            using var scope = NewDisposeScope();
            return harness.Runner.Execute([new([1, 5, 9, 3], 0, 4, [0], true)])!.data<float>().ToArray();
        }
        var single = Logits();

        File.Delete(Path.Combine(_dir, "model.safetensors"));
        var first = weights.Take(10).ToList();
        var second = weights.Skip(10).ToList();
        SafetensorsWriter.Write(Path.Combine(_dir, "model-00001-of-00002.safetensors"), first);
        SafetensorsWriter.Write(Path.Combine(_dir, "model-00002-of-00002.safetensors"), second);
        var map = first.ToDictionary(w => w.Name, _ => "model-00001-of-00002.safetensors");
        foreach (var w in second)
        {
            map[w.Name] = "model-00002-of-00002.safetensors";
        }
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        Assert.Equal(single, Logits());

        File.Delete(Path.Combine(_dir, "model-00002-of-00002.safetensors"));
        Assert.Contains("shard 'model-00002-of-00002.safetensors'", LoadFails().Message);
    }

    [Fact]
    public void Half_precision_weights_convert_to_the_compute_dtype()
    {
        WriteModel([.. TinyWeights().Select(w => (w.Name, w.Tensor.to(ScalarType.BFloat16)))]);
        using var model = ModelLoader.Load(_dir, new EngineOptions { DType = "float32" });
        Assert.Equal(ScalarType.Float32, model.DType);
        using var model16 = ModelLoader.Load(_dir, new EngineOptions { DType = "bfloat16" });
        Assert.Equal(ScalarType.BFloat16, model16.DType);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
