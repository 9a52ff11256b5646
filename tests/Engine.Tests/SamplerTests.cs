using Platform.Engine.Sampling;

namespace Platform.Engine.Tests;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, -1.0f, 2.5f];

    private static SampledToken Row(SamplingParams p) => Sampler.SampleRow(Logits, new SamplingState(p));

    [Fact]
    public void Greedy_takes_the_argmax()
    {
        Assert.Equal(1, Row(SamplingParams.Greedy(1)).TokenId);
    }

    [Fact]
    public void Top_k_of_one_is_greedy_at_any_temperature()
    {
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(1, Row(new SamplingParams { Temperature = 5, TopK = 1 }).TokenId);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens_and_different_seeds_differ()
    {
        int[] Draws(long seed)
        {
            var state = new SamplingState(new SamplingParams { Temperature = 1.5, Seed = seed });
            return [.. Enumerable.Range(0, 40).Select(_ => Sampler.SampleRow(Logits, state).TokenId)];
        }
        Assert.Equal(Draws(42), Draws(42));
        Assert.NotEqual(Draws(42), Draws(43));
    }

    [Fact]
    public void Top_p_keeps_only_the_smallest_set_reaching_the_mass()
    {
        // Softmax of the logits: token 1 holds about 0.44, token 4 about 0.27, token 2 about 0.16.
        var state = new SamplingState(new SamplingParams { TopP = 0.6, Seed = 1 });
        var seen = Enumerable.Range(0, 400).Select(_ => Sampler.SampleRow(Logits, state).TokenId).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 4 }, seen);
    }

    [Fact]
    public void Sampling_frequencies_follow_the_softmax()
    {
        var state = new SamplingState(new SamplingParams { Seed = 3 });
        var counts = new int[Logits.Length];
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
        {
            counts[Sampler.SampleRow(Logits, state).TokenId]++;
        }
        double z = Logits.Sum(l => Math.Exp(l));
        for (int t = 0; t < Logits.Length; t++)
        {
            Assert.InRange(counts[t] / (double)draws, Math.Exp(Logits[t]) / z - 0.02, Math.Exp(Logits[t]) / z + 0.02);
        }
    }

    [Fact]
    public void Logprobs_are_the_model_distribution_with_ranked_alternatives()
    {
        var sampled = Row(new SamplingParams { Temperature = 0, Logprobs = true, TopLogprobs = 3 });
        double z = Math.Log(Logits.Sum(l => Math.Exp(l)));
        Assert.Equal(3.0 - z, sampled.Logprob!.Value, 5);
        Assert.Equal([1, 4, 2], sampled.TopLogprobs.Select(t => t.TokenId));
        Assert.Equal(2.5 - z, sampled.TopLogprobs[1].Logprob, 5);
    }

    [Theory]
    [InlineData(-0.1, 1.0, 0, 1, "temperature")]
    [InlineData(1.0, 0.0, 0, 1, "top_p")]
    [InlineData(1.0, 1.0, -2, 1, "top_k")]
    [InlineData(1.0, 1.0, 0, 0, "max_tokens")]
    public void Invalid_parameters_name_the_field(double temperature, double topP, int topK, int maxTokens, string field)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new SamplingParams { Temperature = temperature, TopP = topP, TopK = topK, MaxTokens = maxTokens }.Validate());
        Assert.Equal(field, e.ParamName);
    }
}
