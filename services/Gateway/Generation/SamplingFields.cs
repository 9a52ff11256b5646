using System.Text.Json;

namespace Platform.Gateway.Generation;

/// <summary>The sampling fields chat and completions requests share, as sent.</summary>
internal sealed record SamplingFields(
    double? Temperature,
    double? TopP,
    int? TopK,
    long? Seed,
    JsonElement? Stop,
    int? N,
    bool? IgnoreEos,
    double? PresencePenalty,
    double? FrequencyPenalty,
    JsonElement? LogitBias);
