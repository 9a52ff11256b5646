namespace Platform.Tokenizers.Tests;

public sealed class LoadingErrorTests
{
    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    [InlineData("WordLevel")]
    public void Unsupported_model_types_are_named(string type)
    {
        var json = "{\"model\": {\"type\": \"" + type + "\", \"vocab\": {\"a\": 0}}}";
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(json));
        Assert.Contains($"unsupported tokenizer model type {type}", e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Fact]
    public void Malformed_json_is_reported_with_the_file_name()
    {
        var dir = Directory.CreateTempSubdirectory("tokenizer-test-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer.json"), """{"model": {"type": "BPE", "vocab": {"a": 0,}""");
            var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromDirectory(dir.FullName));
            Assert.Contains("malformed JSON", e.Message);
            Assert.Contains(Path.Combine(dir.FullName, "tokenizer.json"), e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_vocab_is_reported()
    {
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson("""{"model": {"type": "BPE", "merges": []}}"""));
        Assert.Contains("model.vocab is missing", e.Message);
    }

    [Fact]
    public void Missing_tokenizer_json_is_reported()
    {
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromDirectory(Path.Combine(Path.GetTempPath(), "no-such-model-dir")));
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Theory]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}""", "not in the vocab")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "BertPreTokenizer"}}""", "unsupported pre_tokenizer type BertPreTokenizer")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "normalizer": {"type": "Precompiled"}}""", "unsupported normalizer type Precompiled")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "decoder": {"type": "WordPiece"}}""", "unsupported decoder type WordPiece")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated"}}""", "does not compile")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": "zero"}}}""", "has no valid id")]
    [InlineData("""[1, 2]""", "expected a JSON object")]
    public void Broken_components_are_explained(string json, string expected)
    {
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Directory_loading_reads_config_and_generation_config()
    {
        var dir = Directory.CreateTempSubdirectory("tokenizer-test-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer.json"), ByteLevelFixture.Json());
            File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """{"eos_token": "<|im_end|>"}""");
            File.WriteAllText(Path.Combine(dir.FullName, "generation_config.json"), """{"eos_token_id": [301, 302]}""");
            File.WriteAllText(Path.Combine(dir.FullName, "chat_template.jinja"), "{{ bos_token }}");
            var tokenizer = Tokenizer.FromDirectory(dir.FullName);
            Assert.Equal([301, 302], tokenizer.EosTokenIds);
            Assert.Equal("{{ bos_token }}", tokenizer.ChatTemplate);
            Assert.Null(tokenizer.BosTokenId);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
