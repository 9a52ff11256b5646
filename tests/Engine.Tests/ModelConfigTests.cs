using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Engine.Configuration;

namespace Platform.Engine.Tests;

public sealed class ModelConfigTests
{
    private const string Llama31 = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
          "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
          "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192, "rope_type": "llama3", "type": "llama3"},
          "partial_rotary_factor": 1.0, "hidden_act": "silu", "attention_bias": true, "mlp_bias": true,
          "tie_word_embeddings": true, "sliding_window": 4096, "use_sliding_window": true,
          "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"
        }
        """;

    [Fact]
    public void Every_field_the_engine_uses_binds_from_its_snake_case_name()
    {
        var config = JsonSerializer.Deserialize<ModelConfig>(Llama31)!;
        using var json = JsonDocument.Parse(Llama31);
        foreach (var type in new[] { typeof(ModelConfig), typeof(RopeScalingConfig) })
        {
            object target = type == typeof(ModelConfig) ? config : config.RopeScaling!;
            var source = type == typeof(ModelConfig) ? json.RootElement : json.RootElement.GetProperty("rope_scaling");
            foreach (var property in type.GetProperties())
            {
                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
                if (name is null)
                {
                    continue;
                }
                Assert.True(source.TryGetProperty(name, out _), $"test JSON lacks '{name}'");
                var value = property.GetValue(target);
                var fallback = property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null;
                Assert.False(Equals(value, fallback), $"'{name}' did not bind into {type.Name}.{property.Name}");
            }
        }
        Assert.Equal(8, config.NumKeyValueHeads);
        Assert.Equal(128, config.HeadDim);
        Assert.Equal("llama3", config.RopeScaling!.RopeType);
        Assert.Equal(8.0, config.RopeScaling.Factor);
        Assert.Equal(8192, config.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal([128001, 128008, 128009], config.EosTokenIds);
        Assert.True(config.QkvBias && config.OutputBias && config.MlpBias && config.TieWordEmbeddings);
        Assert.Equal(4096, config.SlidingWindow);
    }

    [Fact]
    public void Defaults_follow_hugging_face_when_fields_are_absent()
    {
        var config = JsonSerializer.Deserialize<ModelConfig>("""
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
             "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100, "eos_token_id": 7,
             "sliding_window": 32, "use_sliding_window": false}
            """)!;
        config.Validate();
        Assert.Equal(4, config.NumKeyValueHeads);
        Assert.Equal(16, config.HeadDim);
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        Assert.Null(config.SlidingWindow);
        Assert.Equal([7], config.EosTokenIds);
        Assert.Equal(10000.0, config.RopeTheta);
    }

    [Theory]
    [InlineData("""{"architectures": ["GPT2LMHeadModel"]}""", "unsupported architecture 'GPT2LMHeadModel'")]
    [InlineData("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 10}""", "num_key_value_heads")]
    [InlineData("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 10, "rope_scaling": {"rope_type": "yarn", "factor": 4}}""", "rope_scaling type 'yarn'")]
    [InlineData("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 10, "hidden_act": "gelu"}""", "hidden_act 'gelu'")]
    public void Unsupported_configs_are_refused_naming_the_field(string json, string expected)
    {
        var config = JsonSerializer.Deserialize<ModelConfig>(json)!;
        var e = Assert.Throws<ModelLoadException>(() => config.Validate());
        Assert.Contains(expected, e.Message);
    }
}
