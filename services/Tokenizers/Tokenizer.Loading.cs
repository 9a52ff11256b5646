namespace Platform.Tokenizers;

public sealed partial class Tokenizer
{
    private const string TokenizerFileName = "tokenizer.json";
    private const string ConfigFileName = "tokenizer_config.json";
    private const string GenerationConfigFileName = "generation_config.json";
    private const string ChatTemplateFileName = "chat_template.jinja";

    /// <summary>
    /// Loads a Hugging Face model directory: tokenizer.json (required), plus tokenizer_config.json,
    /// generation_config.json and chat_template.jinja when present.
    /// </summary>
    /// <exception cref="TokenizerException">A file is missing, malformed or unsupported.</exception>
    public static Tokenizer FromDirectory(string directory)
    {
        var tokenizerPath = Path.Combine(directory, TokenizerFileName);
        if (!File.Exists(tokenizerPath))
        {
            throw new TokenizerException(tokenizerPath, "file not found (only tokenizer.json models are supported)");
        }

        var configPath = Path.Combine(directory, ConfigFileName);
        var config = File.Exists(configPath)
            ? TokenizerConfigReader.Read(File.ReadAllText(configPath), configPath)
            : TokenizerConfig.Empty;

        var generationPath = Path.Combine(directory, GenerationConfigFileName);
        if (File.Exists(generationPath))
        {
            config = config with
            {
                GenerationEosTokenIds = TokenizerConfigReader.ReadGenerationEosIds(File.ReadAllText(generationPath), generationPath),
            };
        }

        var templatePath = Path.Combine(directory, ChatTemplateFileName);
        if (config.ChatTemplate is null && File.Exists(templatePath))
        {
            config = config with { ChatTemplate = File.ReadAllText(templatePath) };
        }

        return new Tokenizer(TokenizerJsonReader.Read(File.ReadAllText(tokenizerPath), tokenizerPath), config);
    }

    /// <summary>Loads a tokenizer.json file and, optionally, a tokenizer_config.json file.</summary>
    /// <exception cref="TokenizerException">A file is missing, malformed or unsupported.</exception>
    public static Tokenizer FromFile(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        if (!File.Exists(tokenizerJsonPath))
        {
            throw new TokenizerException(tokenizerJsonPath, "file not found");
        }

        var config = tokenizerConfigPath is null
            ? TokenizerConfig.Empty
            : TokenizerConfigReader.Read(File.ReadAllText(tokenizerConfigPath), tokenizerConfigPath);
        return new Tokenizer(TokenizerJsonReader.Read(File.ReadAllText(tokenizerJsonPath), tokenizerJsonPath), config);
    }

    /// <summary>Builds a tokenizer from the text of tokenizer.json and, optionally, tokenizer_config.json.</summary>
    /// <exception cref="TokenizerException">The JSON is malformed or unsupported.</exception>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null)
    {
        var config = tokenizerConfigJson is null
            ? TokenizerConfig.Empty
            : TokenizerConfigReader.Read(tokenizerConfigJson, ConfigFileName);
        return new Tokenizer(TokenizerJsonReader.Read(tokenizerJson, TokenizerFileName), config);
    }
}
