using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Platform.Engine.Model;

/// <summary>Numerically stable softmax over a row of floats, vectorised (masked entries are -inf and become 0).</summary>
internal static unsafe class Softmax
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InPlace(float* x, int n)
    {
        var maxV = Vector256.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            maxV = Vector256.Max(maxV, Vector256.Load(x + i));
        }
        float max = float.NegativeInfinity;
        for (int l = 0; l < 8; l++)
        {
            max = MathF.Max(max, maxV.GetElement(l));
        }
        for (; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        var m = Vector256.Create(max);
        var sumV = Vector256<float>.Zero;
        i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var e = Vector256.Exp(Vector256.Load(x + i) - m);
            e.Store(x + i);
            sumV += e;
        }
        float sum = Vector256.Sum(sumV);
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }

        var inv = Vector256.Create(1f / sum);
        i = 0;
        for (; i + 8 <= n; i += 8)
        {
            (Vector256.Load(x + i) * inv).Store(x + i);
        }
        for (; i < n; i++)
        {
            x[i] *= inv[0];
        }
    }
}
