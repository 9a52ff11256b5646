using System.Text.Json;
using Platform.Engine.Configuration;
using Platform.Engine.Model;

namespace Platform.Engine.Tests;

public sealed class RotaryEmbeddingTests
{
    private static ModelConfig Config(string scaling) => JsonSerializer.Deserialize<ModelConfig>(
        $$"""{"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0, "rope_scaling": {{scaling}}}""")!;

    [Fact]
    public void Llama3_scaling_keeps_high_frequencies_divides_low_ones_and_smooths_between()
    {
        var plain = RotaryEmbedding.InverseFrequencies(Config("null"), 128);
        var scaled = RotaryEmbedding.InverseFrequencies(Config(
            """{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"""), 128);
        for (int i = 0; i < plain.Length; i++)
        {
            double wavelen = 2 * Math.PI / plain[i];
            if (wavelen < 8192 / 4.0)
            {
                Assert.Equal(plain[i], scaled[i]);
            }
            else if (wavelen > 8192 / 1.0)
            {
                Assert.Equal(plain[i] / 8.0, scaled[i], 1e-9);
            }
            else
            {
                Assert.InRange(scaled[i], plain[i] / 8.0, plain[i]);
            }
        }
        Assert.Equal(plain[0], scaled[0]);
        Assert.Equal(plain[^1] / 8.0, scaled[^1], 1e-12);
    }

    [Fact]
    public void Linear_scaling_divides_every_frequency()
    {
        var plain = RotaryEmbedding.InverseFrequencies(Config("null"), 64);
        var scaled = RotaryEmbedding.InverseFrequencies(Config("""{"type": "linear", "factor": 4.0}"""), 64);
        Assert.All(Enumerable.Range(0, plain.Length), i => Assert.Equal(plain[i] / 4.0, scaled[i], 1e-9));
    }
}
