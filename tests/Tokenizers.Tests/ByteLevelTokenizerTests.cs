namespace Platform.Tokenizers.Tests;

public sealed class ByteLevelTokenizerTests
{
    private static readonly Tokenizer Llama3Style = Tokenizer.FromJson(ByteLevelFixture.Json());
    private static readonly Tokenizer Gpt2Style = Tokenizer.FromJson(ByteLevelFixture.Json(llama3Split: false));

    [Fact]
    public void Merges_apply_by_rank_within_each_pre_token()
    {
        // "the" and " the" are separate pre-tokens; only the space-prefixed one can reach "Ġthe".
        Assert.Equal([116, ByteLevelFixture.He, ByteLevelFixture.SpaceThe], Llama3Style.Encode("the the"));
        Assert.Equal([72, 101, ByteLevelFixture.Ll, 111], Llama3Style.Encode("Hello"));
        Assert.Equal([32, 99, 97, 116], Llama3Style.Encode(" cat"));
    }

    [Fact]
    public void Both_merge_spellings_give_the_same_ids()
    {
        var arrays = Tokenizer.FromJson(ByteLevelFixture.Json(mergesAsArrays: true));
        Assert.Equal(Llama3Style.Encode("the hello the"), arrays.Encode("the hello the"));
    }

    [Fact]
    public void Ignore_merges_emits_a_whole_pre_token_found_in_the_vocab()
    {
        var ignoring = Tokenizer.FromJson(ByteLevelFixture.Json(ignoreMerges: true));
        Assert.Equal([ByteLevelFixture.SpaceCat], ignoring.Encode(" cat", addSpecialTokens: false));
        Assert.Equal([32, 99, 97, 116], Llama3Style.Encode(" cat", addSpecialTokens: false));
    }

    [Fact]
    public void Llama3_split_keeps_digits_in_groups_of_three_and_newlines_apart()
    {
        // Pieces: "12345" -> "123","45"; "\n\n" one piece; letters.
        Assert.Equal(ByteLevelFixture.Bytes("12345\n\nab"), Llama3Style.Encode("12345\n\nab"));
        Assert.Equal("12345\n\nab", Llama3Style.Decode(Llama3Style.Encode("12345\n\nab")));
    }

    [Fact]
    public void Gpt2_regex_and_prefix_space_are_applied()
    {
        var prefixed = Tokenizer.FromJson(ByteLevelFixture.Json(llama3Split: false, addPrefixSpace: true));
        Assert.Equal([ByteLevelFixture.SpaceThe], prefixed.Encode("the"));
        Assert.Equal([116, ByteLevelFixture.He], Gpt2Style.Encode("the"));
    }

    [Fact]
    public void Chat_special_tokens_are_parsed_when_asked()
    {
        const string text = "<|im_start|>user\nhi<|im_end|>";
        int[] expected = [ByteLevelFixture.ImStart, .. ByteLevelFixture.Bytes("user\nhi"), ByteLevelFixture.ImEnd];
        Assert.Equal(expected, Llama3Style.Encode(text));
        Assert.Equal(text, Llama3Style.Decode(expected));
        Assert.Equal("user\nhi", Llama3Style.Decode(expected, skipSpecialTokens: true));
        Assert.True(Llama3Style.IsSpecial(ByteLevelFixture.ImStart));
    }

    [Fact]
    public void Chat_special_tokens_stay_text_when_not_parsed()
    {
        const string text = "<|im_start|>user";
        var ids = Llama3Style.Encode(text, parseSpecialTokens: false);
        Assert.Equal(ByteLevelFixture.Bytes(text), ids);
        Assert.Equal(text, Llama3Style.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Non_special_added_tokens_are_parsed_even_when_specials_are_not()
    {
        var ids = Llama3Style.Encode("a<tool_call>b", parseSpecialTokens: false);
        Assert.Equal([97, ByteLevelFixture.ToolCall, 98], ids);
        Assert.False(Llama3Style.IsSpecial(ByteLevelFixture.ToolCall));
        Assert.Equal("a<tool_call>b", Llama3Style.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Template_post_processor_prepends_its_token_only_with_special_tokens()
    {
        var withBos = Tokenizer.FromJson(ByteLevelFixture.Json(bosTemplate: true));
        Assert.Equal([ByteLevelFixture.EndOfText, 97], withBos.Encode("a"));
        Assert.Equal([97], withBos.Encode("a", addSpecialTokens: false));
        Assert.Equal([97], Llama3Style.Encode("a"));
    }

    [Fact]
    public void Tokenizer_config_overrides_bos_and_names_eos()
    {
        const string config = """{"add_bos_token": true, "bos_token": "<|im_start|>", "eos_token": {"content": "<|im_end|>"}, "chat_template": "{{ messages }}"}""";
        var tokenizer = Tokenizer.FromJson(ByteLevelFixture.Json(), config);
        Assert.Equal([ByteLevelFixture.ImStart, 97], tokenizer.Encode("a"));
        Assert.Equal(ByteLevelFixture.ImStart, tokenizer.BosTokenId);
        Assert.Equal([ByteLevelFixture.ImEnd], tokenizer.EosTokenIds);
        Assert.Equal("{{ messages }}", tokenizer.ChatTemplate);

        var off = Tokenizer.FromJson(ByteLevelFixture.Json(bosTemplate: true), """{"add_bos_token": false, "bos_token": "<|endoftext|>"}""");
        Assert.Equal([97], off.Encode("a"));
    }

    [Fact]
    public void Vocab_lookups_cover_model_and_added_tokens()
    {
        Assert.Equal(ByteLevelFixture.EndOfText + 2, Llama3Style.VocabSize);
        Assert.Equal("Ġthe", Llama3Style.IdToToken(ByteLevelFixture.SpaceThe));
        Assert.Equal(ByteLevelFixture.ImEnd, Llama3Style.TokenToId("<|im_end|>"));
        Assert.Null(Llama3Style.IdToToken(280));
    }

    [Theory]
    [MemberData(nameof(TextSamples.All), MemberType = typeof(TextSamples))]
    public void Decode_inverts_encode(string text)
    {
        foreach (var tokenizer in new[] { Llama3Style, Gpt2Style })
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, parseSpecialTokens: false)));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids()
    {
        var texts = Enumerable.Range(0, 64).Select(i => $"the hello {i} the cat {i * 7919} 😀").ToArray();
        var expected = texts.Select(t => Llama3Style.Encode(t)).ToArray();
        var fresh = Tokenizer.FromJson(ByteLevelFixture.Json());
        Parallel.For(0, 2000, i => Assert.Equal(expected[i % texts.Length], fresh.Encode(texts[i % texts.Length])));
    }
}
