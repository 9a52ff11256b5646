using Platform.Engine.KvCache;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

public sealed class PagedAttentionTests
{
    [Theory]
    [InlineData(40, null)]
    [InlineData(300, null)]
    [InlineData(300, 37)]
    public void Scattered_queries_in_prefix_blocks_equal_one_masked_product_over_the_whole_context(int queries, int? window)
    {
        using var scope = NewDisposeScope();
        var config = BlendHarness.TinyConfig();
        using var cache = new PagedKvCache(config, numBlocks: 80, blockSize: 16, ScalarType.Float32, CPU);
        manual_seed(3);
        var random = new Random(queries);
        const int n = 1000;
        // The prompt's context in scattered slots; its K/V already in the cache (as a blend's placed chunks are).
        var slots = Enumerable.Range(0, 80 * 16).OrderBy(_ => random.Next()).Take(n).Select(s => (long)s).ToArray();
        var contextSlots = tensor(slots);
        int kvHeads = config.NumKeyValueHeads, headDim = config.HeadDim, heads = config.NumAttentionHeads;
        cache.Write(0, contextSlots, randn(n, kvHeads, headDim), randn(n, kvHeads, headDim));

        // Ascending positions, the last token among them, each seeing 0..position (within the window, if any).
        var selected = Enumerable.Range(0, n - 1).OrderBy(_ => random.Next()).Take(queries - 1).Append(n - 1).Order().ToArray();
        var allowed = new bool[queries * n];
        for (int q = 0; q < queries; q++)
        {
            for (int k = window is { } w ? Math.Max(0, selected[q] - w + 1) : 0; k <= selected[q]; k++)
            {
                allowed[(q * n) + k] = true;
            }
        }
        var mask = tensor(allowed).view(queries, n);
        var q4 = randn(queries, heads, headDim);
        var k4 = randn(queries, kvHeads, headDim);
        var v4 = randn(queries, kvHeads, headDim);
        var querySlots = tensor(selected.Select(p => slots[p]).ToArray());

        var whole = new AttentionMetadata(querySlots, 0, null, null, [new ChunkAttention(0, 0, queries, contextSlots, mask)]);
        var blocked = whole with
        {
            Chunks = [new ChunkAttention(0, 0, queries, contextSlots, mask, RowContextLengths: [.. selected.Select(p => p + 1)])],
        };
        var expected = PagedAttention.Forward(0, q4, k4, v4, whole, cache);
        var actual = PagedAttention.Forward(0, q4, k4, v4, blocked, cache);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(expected, actual, rtol: 1e-5, atol: 1e-6), $"max difference {(expected - actual).abs().max().item<float>()}");
    }
}
