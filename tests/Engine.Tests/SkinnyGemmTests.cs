using System.Runtime.Intrinsics.X86;
using Platform.Engine.Model;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Tests;

public sealed class SkinnyGemmTests
{
    public static TheoryData<bool> Families() => Avx512F.IsSupported ? new TheoryData<bool> { false, true } : new TheoryData<bool> { false };

    [SkippableTheory]
    [MemberData(nameof(Families))]
    public void Matches_torch_linear_for_every_row_count_and_ragged_shapes(bool avx512)
    {
        Skip.IfNot(SkinnyGemm.IsSupported, "needs a CPU with AVX2 and FMA");
        using var scope = NewDisposeScope();
        var random = new Random(11);
        manual_seed(11);
        // K not a multiple of 8 or 16 exercises the scalar tails; N not a multiple of 4 the single-row path.
        var shapes = new (int N, int K)[] { (1, 1), (3, 7), (4, 8), (5, 15), (37, 33), (64, 100), (130, 768), (67, 2048) };
        for (int m = 1; m <= 70; m += m < 10 ? 1 : 7)
        {
            var (n, k) = shapes[random.Next(shapes.Length)];
            var x = randn(m, k);
            var w = randn(n, k);
            var b = random.Next(2) == 0 ? null : randn(n);
            var expected = linear(x, w, b);
            var actual = SkinnyGemm.Apply(x, w, b, avx512);
            Assert.Equal(expected.shape, actual.shape);
            double err = (expected - actual).abs().max().item<float>();
            Assert.True(err <= 1e-4 * Math.Sqrt(k), $"M={m} N={n} K={k} bias={b is not null}: max error {err}");
        }
    }

    [SkippableFact]
    public void Reads_a_non_contiguous_input_and_a_weight_view_at_an_offset()
    {
        Skip.IfNot(SkinnyGemm.IsSupported, "needs a CPU with AVX2 and FMA");
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(40, 6).t();
        var storage = randn(3, 21, 40);
        var w = storage[1];
        Assert.True(SkinnyGemm.CanApply(x, w, null));
        double err = (linear(x, w) - SkinnyGemm.Apply(x, w)).abs().max().item<float>();
        Assert.True(err < 1e-4, $"max error {err}");
    }

    [Fact]
    public void Declines_what_it_cannot_compute()
    {
        using var scope = NewDisposeScope();
        Assert.False(SkinnyGemm.CanApply(randn(2, 8, ScalarType.Float64), randn(4, 8, ScalarType.Float64), null));
        Assert.False(SkinnyGemm.CanApply(randn(2, 8), randn(8, 4).t(), null));
        Assert.False(SkinnyGemm.CanApply(randn(2, 8), randn(4, 8), randn(5)));
    }
}
