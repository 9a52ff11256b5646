using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Platform.Engine.Model;

/// <summary>
/// Register-blocked dot-product microkernels over rows of length k (8 floats per FMA, scalar tail for
/// k not a multiple of 8). Four W rows share each load of an x row and two x rows share each load of a
/// W row: 8 independent accumulators cover the FMA latency of two pipes.
/// </summary>
internal static unsafe class SkinnyGemmKernels
{
    /// <summary>y[r, c] = x[r] · w[c] (+ bias[c]) for x rows r ∈ {0, 1} (k apart) and W rows c ∈ 0..3 (k apart); y rows ldy apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4x2(float* x, float* w, int k, float* y, int ldy, float* bias)
    {
        float* x1 = x + k;
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var v0 = Avx.LoadVector256(x + i);
            var v1 = Avx.LoadVector256(x1 + i);
            var r = Avx.LoadVector256(w + i);
            a00 = Fma.MultiplyAdd(r, v0, a00);
            a10 = Fma.MultiplyAdd(r, v1, a10);
            r = Avx.LoadVector256(w1 + i);
            a01 = Fma.MultiplyAdd(r, v0, a01);
            a11 = Fma.MultiplyAdd(r, v1, a11);
            r = Avx.LoadVector256(w2 + i);
            a02 = Fma.MultiplyAdd(r, v0, a02);
            a12 = Fma.MultiplyAdd(r, v1, a12);
            r = Avx.LoadVector256(w3 + i);
            a03 = Fma.MultiplyAdd(r, v0, a03);
            a13 = Fma.MultiplyAdd(r, v1, a13);
        }
        float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
        float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
        for (; i < k; i++)
        {
            float v0 = x[i], v1 = x1[i];
            s00 += w[i] * v0;
            s01 += w1[i] * v0;
            s02 += w2[i] * v0;
            s03 += w3[i] * v0;
            s10 += w[i] * v1;
            s11 += w1[i] * v1;
            s12 += w2[i] * v1;
            s13 += w3[i] * v1;
        }
        if (bias is not null)
        {
            s00 += bias[0];
            s01 += bias[1];
            s02 += bias[2];
            s03 += bias[3];
            s10 += bias[0];
            s11 += bias[1];
            s12 += bias[2];
            s13 += bias[3];
        }
        y[0] = s00;
        y[1] = s01;
        y[2] = s02;
        y[3] = s03;
        float* y1 = y + ldy;
        y1[0] = s10;
        y1[1] = s11;
        y1[2] = s12;
        y1[3] = s13;
    }

    /// <summary>y[c] = x · w[c] (+ bias[c]) for W rows c ∈ 0..3, k apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4x1(float* x, float* w, int k, float* y, float* bias)
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var v = Avx.LoadVector256(x + i);
            a0 = Fma.MultiplyAdd(Avx.LoadVector256(w + i), v, a0);
            a1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + i), v, a1);
            a2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + i), v, a2);
            a3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + i), v, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
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

    /// <summary>a · b over n floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n)
    {
        Vector256<float> acc0 = default, acc1 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), acc0);
            acc1 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 8), Avx.LoadVector256(b + i + 8), acc1);
        }
        if (i + 8 <= n)
        {
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), acc0);
            i += 8;
        }
        float s = Vector256.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }
}
