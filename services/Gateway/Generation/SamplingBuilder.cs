using System.Text.Json;
using Platform.Engine.Sampling;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Generation;

/// <summary>Turns the request's fields into the engine's <see cref="SamplingParams"/>, refusing what it cannot honour.</summary>
internal static class SamplingBuilder
{
    public const int MaxChoices = 128;

    /// <summary>Checks the shared fields and returns <c>n</c>.</summary>
    public static int Validate(SamplingFields f)
    {
        int n = f.N ?? 1;
        if (n < 1 || n > MaxChoices)
        {
            throw ApiException.BadRequest($"'n' must be between 1 and {MaxChoices}, got {n}.", "n");
        }
        if (f.PresencePenalty is { } presence && presence != 0)
        {
            throw ApiException.BadRequest("'presence_penalty' is not supported by this server; omit it or send 0.", "presence_penalty");
        }
        if (f.FrequencyPenalty is { } frequency && frequency != 0)
        {
            throw ApiException.BadRequest("'frequency_penalty' is not supported by this server; omit it or send 0.", "frequency_penalty");
        }
        if (f.LogitBias is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any())
        {
            throw ApiException.BadRequest("'logit_bias' is not supported by this server.", "logit_bias");
        }
        if (f.TopK < -1)
        {
            throw ApiException.BadRequest($"'top_k' must be -1 or 0 (disabled) or positive, got {f.TopK}.", "top_k");
        }
        return n;
    }

    /// <summary>The parameters of choice <paramref name="choice"/>: seeded requests give choice i the seed seed+i.</summary>
    public static SamplingParams Build(SamplingFields f, int maxTokens, int? topLogprobs, int choice)
    {
        var sampling = new SamplingParams
        {
            Temperature = f.Temperature ?? 1.0,
            TopP = f.TopP ?? 1.0,
            TopK = Math.Max(f.TopK ?? 0, 0),
            Seed = f.Seed is { } seed ? seed + choice : null,
            MaxTokens = maxTokens,
            StopStrings = StopStrings(f.Stop),
            IgnoreEos = f.IgnoreEos ?? false,
            Logprobs = topLogprobs is not null,
            TopLogprobs = topLogprobs ?? 0,
        };
        sampling.Validate();
        return sampling;
    }

    private static IReadOnlyList<string> StopStrings(JsonElement? stop)
    {
        const string Message = "'stop' must be a string or a list of non-empty strings.";
        switch (stop?.ValueKind)
        {
            case null or JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [stop.Value.GetString()!];
            case JsonValueKind.Array:
                return [.. stop.Value.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String
                    ? s.GetString()!
                    : throw ApiException.BadRequest(Message, "stop"))];
            default:
                throw ApiException.BadRequest(Message, "stop");
        }
    }
}
