namespace Platform.Engine.Sampling;

/// <summary>
/// How one request's tokens are chosen and when it stops. Temperature 0 is greedy. The defaults match
/// the OpenAI API's (temperature 1, top_p 1, no top-k).
/// </summary>
public sealed record SamplingParams
{
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    /// <summary>Keep the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }
    /// <summary>Same seed, same prompt, same output; null draws a fresh seed.</summary>
    public long? Seed { get; init; }
    public int MaxTokens { get; init; } = 256;
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Do not stop at the model's end-of-sequence tokens.</summary>
    public bool IgnoreEos { get; init; }
    /// <summary>Return each sampled token's log-probability.</summary>
    public bool Logprobs { get; init; }
    /// <summary>With <see cref="Logprobs"/>: this many most likely alternatives per position (0-20).</summary>
    public int TopLogprobs { get; init; }

    public bool IsGreedy => Temperature == 0;

    public static SamplingParams Greedy(int maxTokens) => new() { Temperature = 0, MaxTokens = maxTokens };

    /// <summary>Throws <see cref="ArgumentException"/> whose message names the invalid field.</summary>
    public void Validate()
    {
        if (double.IsNaN(Temperature) || Temperature < 0 || Temperature > 100)
        {
            throw new ArgumentException($"temperature must be between 0 and 100, got {Temperature}", "temperature");
        }
        if (double.IsNaN(TopP) || TopP <= 0 || TopP > 1)
        {
            throw new ArgumentException($"top_p must be in (0, 1], got {TopP}", "top_p");
        }
        if (TopK < 0)
        {
            throw new ArgumentException($"top_k must be 0 (disabled) or positive, got {TopK}", "top_k");
        }
        if (MaxTokens < 1)
        {
            throw new ArgumentException($"max_tokens must be at least 1, got {MaxTokens}", "max_tokens");
        }
        if (TopLogprobs is < 0 or > 20)
        {
            throw new ArgumentException($"top_logprobs must be between 0 and 20, got {TopLogprobs}", "top_logprobs");
        }
        if (StopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("stop strings must not be empty", "stop");
        }
    }
}
