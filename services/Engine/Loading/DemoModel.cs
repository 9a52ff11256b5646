using System.Text.Json;
using Platform.Engine.Configuration;
using Platform.Tokenizers;
using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>
/// Writes a small Llama model directory in Hugging Face layout with dummy (random) weights and a
/// byte-level tokenizer of 256 byte tokens plus &lt;s&gt; and &lt;/s&gt;: what the run command serves when no
/// --model is given. Its output is random text; point --model at a trained checkpoint for real text.
/// </summary>
public static class DemoModel
{
    public static readonly ModelConfig Config = new()
    {
        Architectures = ["LlamaForCausalLM"],
        ModelType = "llama",
        HiddenSize = 128,
        IntermediateSize = 344,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeadsField = 2,
        VocabSize = 258,
        MaxPositionEmbeddings = 1024,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        BosTokenId = 256,
        EosTokenIdField = JsonSerializer.SerializeToElement(257),
        TorchDtype = "float32",
    };

    public static void Create(string directory, long seed = 1234) => Create(directory, Config, seed);

    /// <summary>
    /// The demo model's layout with another shape (benchmarks: a model with real compute per token); the
    /// tokenizer stays the byte-level one, so <paramref name="config"/> keeps <see cref="Config"/>'s vocabulary.
    /// </summary>
    public static void Create(string directory, ModelConfig config, long seed = 1234)
    {
        if (config.VocabSize != Config.VocabSize || config.BosTokenId != Config.BosTokenId)
        {
            throw new ArgumentException($"the demo tokenizer has {Config.VocabSize} tokens with BOS {Config.BosTokenId}; the config has {config.VocabSize} and BOS {config.BosTokenId}", nameof(config));
        }
        Directory.CreateDirectory(directory);
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config, options));
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), TokenizerJson());
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(new
        {
            tokenizer_class = "PreTrainedTokenizerFast",
            bos_token = "<s>",
            eos_token = "</s>",
            add_bos_token = true,
            model_max_length = config.MaxPositionEmbeddings,
        }, options));
        using var weights = new DummyWeights(seed);
        var names = CheckpointLayout.Tensors(config)
            .Select(t => (t.Name, weights.Load(t.Name, t.Shape, ScalarType.Float32, CPU)))
            .ToList();
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), names, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var (_, t) in names)
        {
            t.Dispose();
        }
        // Fail here, not at serving time, if the tokenizer we wrote is not one we can read.
        Tokenizer.FromDirectory(directory);
    }

    private static string TokenizerJson()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            vocab[ByteLevelAlphabet.ToChar((byte)b).ToString()] = b;
        }
        var json = new
        {
            version = "1.0",
            added_tokens = new[]
            {
                new { id = 256, content = "<s>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = 257, content = "</s>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                pair = new object[] { new { Sequence = new { id = "A", type_id = 0 } }, new { Sequence = new { id = "B", type_id = 1 } } },
                special_tokens = new Dictionary<string, object> { ["<s>"] = new { id = "<s>", ids = new[] { 256 }, tokens = new[] { "<s>" } } },
            },
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            model = new { type = "BPE", dropout = (object?)null, unk_token = (object?)null, byte_fallback = false, vocab, merges = Array.Empty<string>() },
        };
        return JsonSerializer.Serialize(json);
    }
}
