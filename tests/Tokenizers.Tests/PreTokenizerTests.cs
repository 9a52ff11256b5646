using System.Text;

namespace Platform.Tokenizers.Tests;

public sealed class PreTokenizerTests
{
    [Fact]
    public void Llama3_pattern_splits_like_tiktoken()
    {
        var split = new SplitPreTokenizer(RegexTranslator.Compile(ByteLevelFixture.Llama3Pattern), SplitBehavior.Isolated, invert: false);
        Assert.Equal(
            ["Hello", ",", " world", "'s", " ", " ", "123", "45", "\n\n", "ab", " ", " x"],
            Pieces(split, "Hello, world's  12345\n\nab  x"));
    }

    [Theory]
    [InlineData("a?+b", "(?>a?)b")]
    [InlineData(@"[^\s\p{L}]++x", @"(?>[^\s\p{L}]+)x")]
    [InlineData("(ab)*+", "(?>(ab)*)")]
    [InlineData(@"\p{L}{1,3}+", @"(?>\p{L}{1,3})")]
    [InlineData(@"(?i:'s|'t)|\s+(?!\S)", @"(?i:'s|'t)|\s+(?!\S)")]
    [InlineData("a+?b", "a+?b")]
    public void Possessive_quantifiers_become_atomic_groups(string oniguruma, string dotNet)
    {
        Assert.Equal(dotNet, RegexTranslator.ToDotNet(oniguruma));
    }

    [Theory]
    [InlineData(nameof(SplitBehavior.Isolated), new[] { "a", "-", "b", "-", "-", "c" })]
    [InlineData(nameof(SplitBehavior.Removed), new[] { "a", "b", "c" })]
    [InlineData(nameof(SplitBehavior.MergedWithPrevious), new[] { "a-", "b-", "-", "c" })]
    [InlineData(nameof(SplitBehavior.MergedWithNext), new[] { "a", "-b", "-", "-c" })]
    [InlineData(nameof(SplitBehavior.Contiguous), new[] { "a", "-", "b", "--", "c" })]
    public void Split_behaviors_match_hugging_face(string behavior, string[] expected)
    {
        var split = new SplitPreTokenizer(new System.Text.RegularExpressions.Regex("-"), Enum.Parse<SplitBehavior>(behavior), invert: false);
        Assert.Equal(expected, Pieces(split, "a-b--c"));
    }

    [Fact]
    public void Byte_level_maps_bytes_to_the_gpt2_alphabet()
    {
        var byteLevel = new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true);
        Assert.Equal(["Hello", "Ġworld", "Ċ", "Ã©"], Pieces(byteLevel, "Hello world\né"));
    }

    [Fact]
    public void Unicode_normalizers_compose_and_decompose_where_the_runtime_can()
    {
        if (!UnicodeNormalizer.IsSupported)
        {
            // InvariantGlobalization turns string.Normalize into a no-op; the normalizer must then say so, not lie.
            Assert.Equal("e\u0301", new UnicodeNormalizer(NormalizationForm.FormC).Normalize("e\u0301"));
            return;
        }

        Assert.Equal("é", new UnicodeNormalizer(NormalizationForm.FormC).Normalize("e\u0301"));
        Assert.Equal("e\u0301", new UnicodeNormalizer(NormalizationForm.FormD).Normalize("é"));
    }

    private static string[] Pieces(IPreTokenizer preTokenizer, string text)
    {
        var output = new List<PreToken>();
        preTokenizer.PreTokenize(new PreToken(text, AtTextStart: true), output);
        return output.Select(p => p.Text).ToArray();
    }
}
