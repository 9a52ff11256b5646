using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Engine.Configuration;

/// <summary>
/// The fields of a Hugging Face <c>config.json</c> the engine uses, each bound explicitly by its
/// snake_case name: a field dropped by a typo (for example <c>rope_scaling</c>) silently changes the model.
/// </summary>
public sealed record ModelConfig
{
    [JsonPropertyName("architectures")] public IReadOnlyList<string> Architectures { get; init; } = [];
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeadsField { get; init; }
    [JsonPropertyName("head_dim")] public int? HeadDimField { get; init; }
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    [JsonPropertyName("rope_scaling")] public RopeScalingConfig? RopeScaling { get; init; }
    [JsonPropertyName("partial_rotary_factor")] public double? PartialRotaryFactor { get; init; }
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    [JsonPropertyName("attention_bias")] public bool? AttentionBiasField { get; init; }
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    [JsonPropertyName("sliding_window")] public int? SlidingWindowField { get; init; }
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; init; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public JsonElement EosTokenIdField { get; init; }
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }

    /// <summary>The architecture the engine implements for this config (first of <c>architectures</c>).</summary>
    public string Architecture => Architectures.Count > 0 ? Architectures[0] : ModelType switch
    {
        "qwen2" => "Qwen2ForCausalLM",
        "mistral" => "MistralForCausalLM",
        _ => "LlamaForCausalLM",
    };

    public int NumKeyValueHeads => NumKeyValueHeadsField ?? NumAttentionHeads;

    public int HeadDim => HeadDimField ?? HiddenSize / NumAttentionHeads;

    /// <summary>Qwen2 always has q/k/v biases (its config has no flag); Llama and Mistral say so in <c>attention_bias</c>.</summary>
    public bool QkvBias => Architecture == "Qwen2ForCausalLM" || (AttentionBiasField ?? false);

    /// <summary>Only Llama's <c>attention_bias</c> also puts a bias on o_proj; Qwen2's o_proj has none.</summary>
    public bool OutputBias => Architecture != "Qwen2ForCausalLM" && (AttentionBiasField ?? false);

    /// <summary>Sliding-window attention span, or null for full attention. Qwen2 uses it only when <c>use_sliding_window</c>.</summary>
    public int? SlidingWindow => Architecture == "Qwen2ForCausalLM" && UseSlidingWindow != true ? null : SlidingWindowField;

    /// <summary><c>eos_token_id</c> is an int or a list of ints in the wild (Llama 3.1 lists three).</summary>
    public IReadOnlyList<int> EosTokenIds => EosTokenIdField.ValueKind switch
    {
        JsonValueKind.Number => [EosTokenIdField.GetInt32()],
        JsonValueKind.Array => [.. EosTokenIdField.EnumerateArray().Select(e => e.GetInt32())],
        _ => [],
    };

    public static readonly IReadOnlySet<string> SupportedArchitectures =
        new HashSet<string>(StringComparer.Ordinal) { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM" };

    /// <summary>Reads and validates <c>config.json</c>; throws <see cref="ModelLoadException"/> naming the problem.</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: config.json not found");
        }
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: invalid config.json: {e.Message}", e);
        }
        if (config is null)
        {
            throw new ModelLoadException($"{path}: config.json is empty");
        }
        config.Validate(path);
        return config;
    }

    /// <summary>Checks that the engine can run this config; the message names the offending field.</summary>
    public void Validate(string source = "config")
    {
        if (!SupportedArchitectures.Contains(Architecture))
        {
            throw new ModelLoadException(
                $"{source}: unsupported architecture '{Architecture}' (supported: {string.Join(", ", SupportedArchitectures)})");
        }
        Require(HiddenSize > 0, "hidden_size must be positive");
        Require(IntermediateSize > 0, "intermediate_size must be positive");
        Require(NumHiddenLayers > 0, "num_hidden_layers must be positive");
        Require(NumAttentionHeads > 0, "num_attention_heads must be positive");
        Require(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0,
            "num_key_value_heads must divide num_attention_heads");
        Require(HeadDim > 0 && HeadDim % 2 == 0, "head_dim must be positive and even");
        Require(VocabSize > 0, "vocab_size must be positive");
        Require(HiddenAct is "silu" or "swish", $"hidden_act '{HiddenAct}' is not supported (only silu)");
        Require(PartialRotaryFactor is null or 1.0, "partial_rotary_factor other than 1.0 is not supported");
        RopeScaling?.Validate(source);

        void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ModelLoadException($"{source}: {message}");
            }
        }
    }
}
