using Xunit.Abstractions;

namespace Platform.Tokenizers.Tests;

public sealed class IncrementalDetokenizerTests(ITestOutputHelper output)
{
    private static readonly Tokenizer ByteLevel = Tokenizer.FromJson(ByteLevelFixture.Json());
    private static readonly Tokenizer Metaspace = Tokenizer.FromJson(MetaspaceFixture.Json());

    [Theory]
    [MemberData(nameof(TextSamples.All), MemberType = typeof(TextSamples))]
    public void Deltas_concatenate_to_the_full_decode(string text)
    {
        var tokenizers = new List<Tokenizer> { ByteLevel, Metaspace };
        if (TestModels.Stories260K(output) is { } stories)
        {
            tokenizers.Add(stories);
        }

        foreach (var tokenizer in tokenizers)
        {
            foreach (var skip in new[] { false, true })
            {
                var ids = tokenizer.Encode(text);
                var deltas = Stream(new IncrementalDetokenizer(tokenizer, skipSpecialTokens: skip), ids);
                Assert.Equal(tokenizer.Decode(ids, skip), string.Concat(deltas));
                Assert.All(deltas, AssertWellFormed);
            }
        }
    }

    [Fact]
    public void Emoji_split_across_byte_tokens_waits_until_complete()
    {
        foreach (var tokenizer in new[] { ByteLevel, Metaspace })
        {
            var ids = tokenizer.Encode("😀", addSpecialTokens: false);
            var detokenizer = new IncrementalDetokenizer(tokenizer);
            var deltas = ids.Select(detokenizer.Add).ToList();
            Assert.All(deltas[..^1], d => Assert.Equal(string.Empty, d));
            Assert.EndsWith("😀", deltas[^1]);
        }
    }

    [SkippableFact]
    public void Prompt_context_keeps_the_first_generated_space()
    {
        var tokenizer = TestModels.RequireStories260K();

        var detokenizer = new IncrementalDetokenizer(tokenizer, promptIds: [1, 403], skipSpecialTokens: true);
        Assert.Equal([" upon", " a", " time"], new[] { 407, 261, 378 }.Select(detokenizer.Add));

        var fromStart = new IncrementalDetokenizer(tokenizer, skipSpecialTokens: true);
        Assert.Equal(["", "Once", " upon"], new[] { 1, 403, 407 }.Select(fromStart.Add));
    }

    [Fact]
    public void Prompt_context_works_for_metaspace_too()
    {
        var detokenizer = new IncrementalDetokenizer(Metaspace, promptIds: [MetaspaceFixture.SpaceAb]);
        Assert.Equal(" ab", detokenizer.Add(MetaspaceFixture.SpaceAb));
    }

    [Fact]
    public void Invalid_bytes_surface_as_replacement_characters_eventually()
    {
        var detokenizer = new IncrementalDetokenizer(Metaspace);
        Assert.Equal(string.Empty, detokenizer.Add(MetaspaceFixture.ByteId(0xF0)));
        Assert.Equal(string.Empty, detokenizer.Add(MetaspaceFixture.ByteId(0x9F)));
        var rest = detokenizer.Add(MetaspaceFixture.A);
        Assert.Equal("\uFFFD\uFFFDa", rest);

        var truncated = new IncrementalDetokenizer(ByteLevel);
        Assert.Equal(string.Empty, truncated.Add(0xE4));
        Assert.Equal("\uFFFD", truncated.Flush());
        Assert.Equal(string.Empty, truncated.Flush());
    }

    [Fact]
    public void Flush_after_complete_text_returns_nothing()
    {
        var detokenizer = new IncrementalDetokenizer(ByteLevel);
        Assert.Equal("the", string.Concat(ByteLevel.Encode("the").Select(detokenizer.Add)));
        Assert.Equal(string.Empty, detokenizer.Flush());
    }

    private static List<string> Stream(IncrementalDetokenizer detokenizer, IEnumerable<int> ids)
    {
        var deltas = ids.Select(detokenizer.Add).ToList();
        deltas.Add(detokenizer.Flush());
        return deltas;
    }

    private static void AssertWellFormed(string delta)
    {
        Assert.DoesNotContain('\uFFFD', delta);
        if (delta.Length > 0)
        {
            Assert.False(char.IsLowSurrogate(delta[0]), "delta starts with half a surrogate pair");
            Assert.False(char.IsHighSurrogate(delta[^1]), "delta ends with half a surrogate pair");
        }
    }
}
