using System.Diagnostics;
using Xunit.Abstractions;

namespace Platform.Tokenizers.Tests;

public sealed class PerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void Encoding_thousands_of_tokens_takes_milliseconds()
    {
        var tokenizers = new List<(string Name, Tokenizer Tokenizer)> { ("byte-level", Tokenizer.FromJson(ByteLevelFixture.Json())) };
        if (TestModels.Stories260K(output) is { } stories)
        {
            tokenizers.Add(("stories260K", stories));
        }

        var text = string.Concat(Enumerable.Repeat("Once upon a time, Lily and Timmy saw a big dog named Max. 😀 They were happy!\n", 80));
        foreach (var (name, tokenizer) in tokenizers)
        {
            tokenizer.Encode(text);
            var stopwatch = Stopwatch.StartNew();
            const int Rounds = 5;
            var count = 0;
            for (var i = 0; i < Rounds; i++)
            {
                count = tokenizer.Encode(text).Length;
            }

            var perEncode = stopwatch.Elapsed / Rounds;
            output.WriteLine($"{name}: {count} tokens in {perEncode.TotalMilliseconds:F2} ms");
            Assert.True(count >= 2_000, $"{name} produced only {count} tokens");

            // Generous bound for loaded CI machines; an O(n²) merge loop on the SentencePiece path (one
            // 4000-character word) would take far longer.
            Assert.True(perEncode < TimeSpan.FromMilliseconds(250), $"{name} took {perEncode.TotalMilliseconds} ms");
        }
    }
}
