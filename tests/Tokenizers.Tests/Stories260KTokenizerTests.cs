using Xunit.Abstractions;

namespace Platform.Tokenizers.Tests;

/// <summary>
/// The real Llama-2-style tokenizer. Expected ids come from applying the file's merges by rank (lowest
/// first, leftmost on ties) to the normalized text. "▁Once▁upon▁a▁time" merges as: ▁+t(0), ▁+a(2),
/// i+m(31), o+n(32), ▁+u(63), ▁+O(64), ▁O+n(66), c+e(77), ▁u+p(97), im+e(119), ▁t+ime(129),
/// ▁On+ce(157), ▁up+on(161), leaving ▁Once(403) ▁upon(407) ▁a(261) ▁time(378) after BOS(1).
/// </summary>
public sealed class Stories260KTokenizerTests
{
    [SkippableTheory]
    [InlineData("Once upon a time", new[] { 1, 403, 407, 261, 378 })]
    [InlineData("Hello world", new[] { 1, 346, 306, 414, 263, 304, 341 })]
    [InlineData("The cat sat.", new[] { 1, 291, 280, 294, 262, 294, 426 })]
    [InlineData("Lily and Timmy were happy friends.", new[] { 1, 317, 269, 405, 382, 276, 393, 374, 419, 426 })]
    [InlineData("héllo 世界", new[] { 1, 270, 485, 306, 414, 410, 231, 187, 153, 234, 152, 143 })]
    public void Encode_matches_hugging_face_ids(string text, int[] expected)
    {
        var tokenizer = TestModels.RequireStories260K();

        Assert.Equal(expected, tokenizer.Encode(text));
    }

    [SkippableFact]
    public void Config_and_vocab_facts_are_exposed()
    {
        var tokenizer = TestModels.RequireStories260K();

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosTokenId);
        Assert.Equal(2, tokenizer.EosTokenId);
        Assert.Contains(2, tokenizer.EosTokenIds);
        Assert.True(tokenizer.IsSpecial(1));
        Assert.False(tokenizer.IsSpecial(403));
        Assert.Equal("▁Once", tokenizer.IdToToken(403));
        Assert.Equal(403, tokenizer.TokenToId("▁Once"));
        Assert.Null(tokenizer.TokenToId("not-a-token"));
        Assert.Null(tokenizer.IdToToken(512));
    }

    [SkippableFact]
    public void Add_special_tokens_false_leaves_out_bos()
    {
        var tokenizer = TestModels.RequireStories260K();

        Assert.Equal([403, 407, 261, 378], tokenizer.Encode("Once upon a time", addSpecialTokens: false));
        Assert.Equal([1], tokenizer.Encode(string.Empty));
    }

    [SkippableFact]
    public void Decode_keeps_or_skips_special_tokens_and_strips_only_the_first_space()
    {
        var tokenizer = TestModels.RequireStories260K();

        int[] ids = [1, 403, 407, 261, 378];
        Assert.Equal("<s> Once upon a time", tokenizer.Decode(ids));
        Assert.Equal("Once upon a time", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("upon a time", tokenizer.Decode([407, 261, 378]));
    }

    [SkippableFact]
    public void Special_tokens_in_text_are_parsed_only_when_asked()
    {
        var tokenizer = TestModels.RequireStories260K();

        // Hugging Face (legacy Llama): each text segment between added tokens gets its own "▁" prefix.
        Assert.Equal([1, 1, 403, 2], tokenizer.Encode("<s>Once</s>"));
        var plain = tokenizer.Encode("<s>Once</s>", parseSpecialTokens: false);
        Assert.Equal(1, plain.Count(id => id == 1));
        Assert.DoesNotContain(2, plain);
        Assert.Equal("<s>Once</s>", tokenizer.Decode(plain, skipSpecialTokens: true));
    }

    [SkippableFact]
    public void Characters_outside_the_vocab_fall_back_to_bytes()
    {
        var tokenizer = TestModels.RequireStories260K();

        // "😀" is F0 9F 98 80; <0xXX> has id 3 + XX.
        Assert.Equal([410, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80], tokenizer.Encode("😀", addSpecialTokens: false));
        Assert.Equal([410, 3 + 0x0A, 3 + 0x09], tokenizer.Encode("\n\t", addSpecialTokens: false));
    }

    [SkippableTheory]
    [MemberData(nameof(TextSamples.All), MemberType = typeof(TextSamples))]
    public void Decode_inverts_encode(string text)
    {
        var tokenizer = TestModels.RequireStories260K();

        var ids = tokenizer.Encode(text, parseSpecialTokens: false);
        Assert.DoesNotContain(0, ids);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [SkippableFact]
    public void Chat_template_is_absent_for_this_base_model()
    {
        var tokenizer = TestModels.RequireStories260K();

        Assert.Null(tokenizer.ChatTemplate);
        Assert.Equal("<s>", tokenizer.BosToken);
        Assert.Equal("</s>", tokenizer.EosToken);
    }
}
