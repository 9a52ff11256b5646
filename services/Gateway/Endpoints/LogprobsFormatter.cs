using Platform.Gateway.Api;
using Platform.Gateway.Generation;
using Platform.Tokenizers;

namespace Platform.Gateway.Endpoints;

/// <summary>Token log-probabilities in the chat and the legacy completions formats.</summary>
internal static class LogprobsFormatter
{
    /// <summary>Chat format for the choice's tokens [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static ChatLogprobs Chat(Tokenizer tokenizer, ChoiceState choice, int from, int to)
    {
        var content = new List<ChatTokenLogprob>(to - from);
        for (int i = from; i < to; i++)
        {
            var token = choice.Tokens[i];
            int previous = choice.PreviousTokenId(i);
            var text = TokenTexts.Text(tokenizer, previous, token.TokenId);
            var top = token.TopLogprobs
                .Select(t =>
                {
                    var alt = TokenTexts.Text(tokenizer, previous, t.TokenId);
                    return new ChatTopLogprob(alt, t.Logprob, TokenTexts.Bytes(tokenizer, t.TokenId, alt));
                })
                .ToList();
            content.Add(new ChatTokenLogprob(text, token.Logprob ?? 0f, TokenTexts.Bytes(tokenizer, token.TokenId, text), top));
        }
        return new ChatLogprobs(content);
    }

    /// <summary>Completions format for tokens [<paramref name="from"/>, <paramref name="to"/>); offsets continue from <paramref name="textOffset"/>.</summary>
    public static CompletionLogprobs Completion(Tokenizer tokenizer, ChoiceState choice, int from, int to, ref int textOffset)
    {
        var tokens = new List<string>(to - from);
        var logprobs = new List<float?>(to - from);
        var top = new List<IReadOnlyDictionary<string, float>?>(to - from);
        var offsets = new List<int>(to - from);
        for (int i = from; i < to; i++)
        {
            var token = choice.Tokens[i];
            int previous = choice.PreviousTokenId(i);
            var text = TokenTexts.Text(tokenizer, previous, token.TokenId);
            tokens.Add(text);
            logprobs.Add(token.Logprob);
            var alternatives = new Dictionary<string, float>(StringComparer.Ordinal);
            // Two ids can decode to the same text; the more likely one (listed first) keeps the key.
            foreach (var alt in token.TopLogprobs)
            {
                alternatives.TryAdd(TokenTexts.Text(tokenizer, previous, alt.TokenId), alt.Logprob);
            }
            top.Add(alternatives);
            offsets.Add(textOffset);
            textOffset += text.Length;
        }
        return new CompletionLogprobs(tokens, logprobs, top, offsets);
    }
}
