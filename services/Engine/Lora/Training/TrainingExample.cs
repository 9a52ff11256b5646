namespace Platform.Engine.Lora.Training;

/// <summary>
/// One training sequence: token ids, of which the first <paramref name="PromptLength"/> are context only;
/// the loss is taken on predicting each later token (the completion, or the assistant turns).
/// </summary>
public sealed record TrainingExample(IReadOnlyList<int> TokenIds, int PromptLength)
{
    /// <summary>Tokens the loss is taken on.</summary>
    public int TrainedTokens => TokenIds.Count - Math.Max(PromptLength, 1);

    public void Validate(int vocabSize, int maxLength)
    {
        if (TokenIds.Count < 2 || TrainedTokens < 1)
        {
            throw new ArgumentException($"a training example needs at least one completion token after its prompt ({TokenIds.Count} tokens, prompt {PromptLength})");
        }
        if (TokenIds.Count > maxLength)
        {
            throw new ArgumentException($"a training example has {TokenIds.Count} tokens; the limit is {maxLength}");
        }
        if (TokenIds.FirstOrDefault(t => (uint)t >= (uint)vocabSize, -1) is var bad and >= 0)
        {
            throw new ArgumentException($"token id {bad} is outside the vocabulary [0, {vocabSize})");
        }
    }
}
