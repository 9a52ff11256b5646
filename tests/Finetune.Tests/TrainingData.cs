using System.Text.Json;
using Platform.Tokenizers;

namespace Platform.Finetune.Tests;

/// <summary>A synthetic pattern to learn: random prompts, each completed by the same fixed text.</summary>
public static class TrainingData
{
    // Tokens above 258: the checkpoint's byte tokens are near-untrained (as in the engine's LoraTrainingTests).
    private static readonly int[] Pattern = [403, 407, 261, 378, 300, 411, 275, 319];

    public static string PatternText(Tokenizer tokenizer) => tokenizer.Decode(Pattern, skipSpecialTokens: true);

    public static string RandomPrompt(Tokenizer tokenizer, Random random) =>
        tokenizer.Decode([.. Enumerable.Range(0, 4 + random.Next(12)).Select(_ => 259 + random.Next(253))], skipSpecialTokens: true);

    /// <summary><paramref name="count"/> prompt/completion lines, every completion the pattern.</summary>
    public static string PatternJsonl(Tokenizer tokenizer, int count, int seed)
    {
        var random = new Random(seed);
        var completion = PatternText(tokenizer);
        return string.Join('\n', Enumerable.Range(0, count).Select(_ =>
            JsonSerializer.Serialize(new { prompt = RandomPrompt(tokenizer, random), completion })));
    }
}
