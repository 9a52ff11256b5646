namespace Platform.Tokenizers;

/// <summary>The tokenizer_config.json / generation_config.json fields the tokenizer uses; all optional.</summary>
internal sealed record TokenizerConfig(
    bool? AddBosToken = null,
    bool? AddEosToken = null,
    string? BosToken = null,
    string? EosToken = null,
    string? ChatTemplate = null,
    IReadOnlyList<int>? GenerationEosTokenIds = null)
{
    public static TokenizerConfig Empty { get; } = new();
}
