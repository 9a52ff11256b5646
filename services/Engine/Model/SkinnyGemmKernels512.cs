using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Platform.Engine.Model;

/// <summary>
/// The AVX-512 form of <see cref="SkinnyGemmKernels"/>: 16 floats per FMA and, with 32 vector registers,
/// a 4×4 block (16 accumulators) so each loaded W vector feeds four FMAs.
/// </summary>
internal static unsafe class SkinnyGemmKernels512
{
    /// <summary>y[r, c] = x[r] · w[c] (+ bias[c]) for x rows r ∈ 0..3 (k apart) and W rows c ∈ 0..3 (k apart); y rows ldy apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4x4(float* x, float* w, int k, float* y, int ldy, float* bias)
    {
        float* x1 = x + k, x2 = x1 + k, x3 = x2 + k;
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var v0 = Avx512F.LoadVector512(x + i);
            var v1 = Avx512F.LoadVector512(x1 + i);
            var v2 = Avx512F.LoadVector512(x2 + i);
            var v3 = Avx512F.LoadVector512(x3 + i);
            var r = Avx512F.LoadVector512(w + i);
            a00 = Avx512F.FusedMultiplyAdd(r, v0, a00);
            a10 = Avx512F.FusedMultiplyAdd(r, v1, a10);
            a20 = Avx512F.FusedMultiplyAdd(r, v2, a20);
            a30 = Avx512F.FusedMultiplyAdd(r, v3, a30);
            r = Avx512F.LoadVector512(w1 + i);
            a01 = Avx512F.FusedMultiplyAdd(r, v0, a01);
            a11 = Avx512F.FusedMultiplyAdd(r, v1, a11);
            a21 = Avx512F.FusedMultiplyAdd(r, v2, a21);
            a31 = Avx512F.FusedMultiplyAdd(r, v3, a31);
            r = Avx512F.LoadVector512(w2 + i);
            a02 = Avx512F.FusedMultiplyAdd(r, v0, a02);
            a12 = Avx512F.FusedMultiplyAdd(r, v1, a12);
            a22 = Avx512F.FusedMultiplyAdd(r, v2, a22);
            a32 = Avx512F.FusedMultiplyAdd(r, v3, a32);
            r = Avx512F.LoadVector512(w3 + i);
            a03 = Avx512F.FusedMultiplyAdd(r, v0, a03);
            a13 = Avx512F.FusedMultiplyAdd(r, v1, a13);
            a23 = Avx512F.FusedMultiplyAdd(r, v2, a23);
            a33 = Avx512F.FusedMultiplyAdd(r, v3, a33);
        }
        Store4(x, w, k, i, y, bias, a00, a01, a02, a03);
        Store4(x1, w, k, i, y + ldy, bias, a10, a11, a12, a13);
        Store4(x2, w, k, i, y + 2 * ldy, bias, a20, a21, a22, a23);
        Store4(x3, w, k, i, y + 3 * ldy, bias, a30, a31, a32, a33);
    }

    /// <summary>y[c] = x · w[c] (+ bias[c]) for W rows c ∈ 0..3, k apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4x1(float* x, float* w, int k, float* y, float* bias)
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var v = Avx512F.LoadVector512(x + i);
            a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(w + i), v, a0);
            a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(w1 + i), v, a1);
            a2 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(w2 + i), v, a2);
            a3 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(w3 + i), v, a3);
        }
        Store4(x, w, k, i, y, bias, a0, a1, a2, a3);
    }

    /// <summary>Reduces one x row's four accumulators, adds the tail from element i and the bias, and stores 4 outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* x, float* w, int k, int i, float* y, float* bias,
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        for (; i < k; i++)
        {
            float v = x[i];
            s0 += w[i] * v;
            s1 += w1[i] * v;
            s2 += w2[i] * v;
            s3 += w3[i] * v;
        }
        if (bias is not null)
        {
            s0 += bias[0];
            s1 += bias[1];
            s2 += bias[2];
            s3 += bias[3];
        }
        y[0] = s0;
        y[1] = s1;
        y[2] = s2;
        y[3] = s3;
    }
}
