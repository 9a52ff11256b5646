using Platform.Engine.Configuration;
using Platform.Tokenizers;

namespace Platform.Gateway.Backend;

/// <summary>
/// What the Gateway needs of a model directory without its weights: config.json (vocabulary size, context
/// length) and the tokenizer files (with the chat template). Split mode reads only these; workers load the weights.
/// </summary>
public static class ModelDirectory
{
    /// <summary>Reads the model's facts; throws <see cref="Platform.Engine.ModelLoadException"/> or <see cref="IOException"/> naming the problem.</summary>
    /// <param name="directory">A Hugging Face model directory (config.json, tokenizer.json, tokenizer_config.json).</param>
    /// <param name="maxModelLength">A cap below the model's max_position_embeddings (the workers' KV capacity), or null.</param>
    /// <param name="created">When the model became servable.</param>
    public static ModelInfo ReadInfo(string directory, int? maxModelLength, DateTimeOffset created)
    {
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        if (!File.Exists(Path.Combine(directory, "tokenizer.json")))
        {
            throw new FileNotFoundException($"the model directory {directory} has no tokenizer.json; the Gateway tokenizes with it", Path.Combine(directory, "tokenizer.json"));
        }
        var tokenizer = Tokenizer.FromDirectory(directory);
        int max = maxModelLength is { } cap ? Math.Min(cap, config.MaxPositionEmbeddings) : config.MaxPositionEmbeddings;
        return new ModelInfo(tokenizer, max, config.VocabSize, created);
    }
}
