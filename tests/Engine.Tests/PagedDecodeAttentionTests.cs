using Platform.Engine.Model;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Tests;

public sealed class PagedDecodeAttentionTests
{
    [SkippableTheory]
    [InlineData(4, 4, 64, null)]
    [InlineData(8, 2, 64, null)]
    [InlineData(6, 3, 20, null)]
    [InlineData(8, 1, 128, 9)]
    [InlineData(4, 2, 12, 1)]
    public void Matches_gathered_sdpa_over_scattered_slots_with_gqa_padding_and_sliding_window(int heads, int kvHeads, int d, int? window)
    {
        Skip.IfNot(PagedDecodeAttention.IsSupported, "needs a CPU with AVX2 and FMA");
        using var scope = NewDisposeScope();
        var random = new Random(heads * 100 + d);
        manual_seed(heads + d);
        const int totalSlots = 300;
        // The cache is a view into a larger storage, as PagedKvCache's per-layer tensors are.
        var storage = randn([3, 2, totalSlots, kvHeads, d]);
        var keys = storage[1, 0];
        var values = storage[1, 1];
        int b = 5;
        var lengths = Enumerable.Range(0, b).Select(_ => 1 + random.Next(70)).ToArray();
        lengths[0] = 1;
        int maxCtx = lengths.Max();
        var slots = new long[b * maxCtx];
        var mask = new bool[b * maxCtx];
        for (int i = 0; i < b; i++)
        {
            // Each sequence's slots are a random, non-contiguous subset of the pool.
            var owned = Enumerable.Range(0, totalSlots).OrderBy(_ => random.Next()).Take(lengths[i]).ToArray();
            int pos = lengths[i] - 1;
            for (int j = 0; j < lengths[i]; j++)
            {
                slots[i * maxCtx + j] = owned[j];
                mask[i * maxCtx + j] = window is null || j > pos - window;
            }
        }
        var slotTensor = tensor(slots).view(b, maxCtx);
        var maskTensor = tensor(mask).view(b, 1, 1, maxCtx);
        // q as the decoder passes it: a narrowed, non-contiguous view of the fused q/k projection.
        var q = randn(b + 2, heads + kvHeads, d).narrow(1, 0, heads).narrow(0, 0, b);

        int group = heads / kvHeads;
        var qd = q.reshape(b, kvHeads, group, d);
        var kd = keys.index_select(0, slotTensor.view(-1)).view(b, maxCtx, kvHeads, d).transpose(1, 2);
        var vd = values.index_select(0, slotTensor.view(-1)).view(b, maxCtx, kvHeads, d).transpose(1, 2);
        var expected = scaled_dot_product_attention(qd, kd, vd, maskTensor).reshape(b, -1);

        Assert.True(PagedDecodeAttention.CanApply(q, keys, values));
        var actual = PagedDecodeAttention.Forward(q, keys, values, slotTensor, maskTensor);
        Assert.Equal(expected.shape, actual.shape);
        double err = (expected - actual).abs().max().item<float>();
        Assert.True(err < 1e-5, $"max error {err}");
    }

    [Fact]
    public void Declines_non_float32_caches()
    {
        using var scope = NewDisposeScope();
        var cache = zeros(16, 2, 8, ScalarType.Float64);
        Assert.False(PagedDecodeAttention.CanApply(zeros(1, 2, 8, ScalarType.Float64), cache, cache));
    }
}
