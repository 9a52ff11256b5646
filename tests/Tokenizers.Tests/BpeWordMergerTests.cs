namespace Platform.Tokenizers.Tests;

public sealed class BpeWordMergerTests
{
    [Fact]
    public void Priority_merging_equals_naive_lowest_rank_leftmost_merging()
    {
        // Symbols 0..3 with merges over them and their products; random words exercise stale queue entries.
        var merges = new Dictionary<long, (int Rank, int NewId)>();
        var products = new Dictionary<(int, int), int>();
        var random = new Random(7);
        var next = 4;
        for (var rank = 0; rank < 40; rank++)
        {
            var left = random.Next(next);
            var right = random.Next(next);
            if (products.ContainsKey((left, right)))
            {
                continue;
            }

            products[(left, right)] = next;
            merges[BpeWordMerger.Key(left, right)] = (rank, next++);
        }

        for (var trial = 0; trial < 500; trial++)
        {
            var word = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(4)).ToList();
            var expected = NaiveMerge([.. word], merges);
            BpeWordMerger.MergeAll(word, merges);
            Assert.Equal(expected, word);
        }
    }

    private static List<int> NaiveMerge(List<int> symbols, Dictionary<long, (int Rank, int NewId)> merges)
    {
        while (true)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (merges.TryGetValue(BpeWordMerger.Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    (best, bestRank) = (i, m.Rank);
                }
            }

            if (best < 0)
            {
                return symbols;
            }

            symbols[best] = merges[BpeWordMerger.Key(symbols[best], symbols[best + 1])].NewId;
            symbols.RemoveAt(best + 1);
        }
    }
}
