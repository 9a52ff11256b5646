using System.Text.Json.Serialization;

namespace Platform.Engine.Configuration;

/// <summary>The <c>rope_scaling</c> block of config.json (Llama 3.1's "llama3" and the "linear" variant).</summary>
public sealed record RopeScalingConfig
{
    [JsonPropertyName("rope_type")] public string? RopeTypeField { get; init; }
    /// <summary>Older configs name the variant <c>type</c> instead of <c>rope_type</c>.</summary>
    [JsonPropertyName("type")] public string? LegacyType { get; init; }
    [JsonPropertyName("factor")] public double Factor { get; init; } = 1.0;
    [JsonPropertyName("low_freq_factor")] public double LowFreqFactor { get; init; } = 1.0;
    [JsonPropertyName("high_freq_factor")] public double HighFreqFactor { get; init; } = 4.0;
    [JsonPropertyName("original_max_position_embeddings")] public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    public string RopeType => RopeTypeField ?? LegacyType ?? "default";

    public void Validate(string source)
    {
        if (RopeType is not ("default" or "linear" or "llama3"))
        {
            throw new ModelLoadException(
                $"{source}: rope_scaling type '{RopeType}' is not supported (supported: default, linear, llama3)");
        }
        if (Factor <= 0)
        {
            throw new ModelLoadException($"{source}: rope_scaling.factor must be positive");
        }
    }
}
