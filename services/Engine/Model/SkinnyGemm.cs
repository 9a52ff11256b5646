using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// y = x Wᵀ + b for a float32 CPU x with few rows (a decode batch) and W in its checkpoint layout
/// [out, in]. torch runs such skinny products far below the machine's limits (a single-threaded GEMV
/// at one row, about 75 GFLOP/s at 32 rows); this kernel keeps a block of W rows in L1 while every row
/// of x passes over it, so W is read from memory once per step, and splits W's rows across the cores.
/// </summary>
public static unsafe class SkinnyGemm
{
    /// <summary>W rows per parallel work item: a multiple of the microkernel's 4, small enough to balance two cores on 768 outputs.</summary>
    private const int RowsPerItem = 32;

    /// <summary>Up to this many rows of x the kernel beats torch's linear on every shape of a 110M Llama (measured side by side).</summary>
    public const int MaxRows = 64;

    /// <summary>
    /// Whether the AVX-512 kernels may be used where the CPU has them (on by default: on Zen 5 they beat the
    /// AVX2 ones at every batch size). A switch for side-by-side benchmarks; flip it only inside try/finally.
    /// </summary>
    public static bool AllowAvx512 { get; set; } = true;

    public static bool IsSupported => Fma.IsSupported && Avx.IsSupported;

    /// <summary>Whether the kernel can compute this product (float32 CPU tensors, x [M, K], W [N, K] contiguous).</summary>
    public static bool CanApply(Tensor x, Tensor weight, Tensor? bias) =>
        CpuKernels.Enabled && IsSupported
        && x.device_type == TorchSharp.DeviceType.CPU && weight.device_type == TorchSharp.DeviceType.CPU
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && x.dim() == 2 && weight.dim() == 2 && x.shape[1] == weight.shape[1]
        && weight.is_contiguous()
        && x.shape[0] <= int.MaxValue && weight.shape[0] <= int.MaxValue && weight.shape[1] <= int.MaxValue
        && (bias is null || (bias.dtype == ScalarType.Float32 && bias.device_type == TorchSharp.DeviceType.CPU
            && bias.dim() == 1 && bias.shape[0] == weight.shape[0] && bias.is_contiguous()));

    /// <summary>
    /// x [M, K] · W[N, K]ᵀ (+ b) → [M, N]; the caller checked <see cref="CanApply"/>. <paramref name="avx512"/>
    /// forces the kernel family (tests cover both); by default AVX-512 where available and allowed.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias = null, bool? avx512 = null)
    {
        bool wide = (avx512 ?? AllowAvx512) && Avx512F.IsSupported;
        var xc = x.is_contiguous() ? x : x.contiguous();
        int m = (int)xc.shape[0], k = (int)xc.shape[1], n = (int)weight.shape[0];
        var y = empty([m, n], ScalarType.Float32);
        if (m == 0 || n == 0)
        {
            return y;
        }
        var job = new Job(wide,
            TensorAddress.Of<float>(xc), TensorAddress.Of<float>(weight),
            bias is null ? null : TensorAddress.Of<float>(bias), TensorAddress.Of<float>(y), m, n, k);
        int items = (n + RowsPerItem - 1) / RowsPerItem;
        KernelThreads.For(items, job.Run);
        GC.KeepAlive(xc);
        return y;
    }

    /// <summary>Raw pointers into tensors that the caller keeps alive until KernelThreads.For returns.</summary>
    private sealed class Job(bool wide, float* x, float* w, float* bias, float* y, int m, int n, int k)
    {
        public void Run(int item)
        {
            int start = item * RowsPerItem;
            int end = Math.Min(n, start + RowsPerItem);
            int row = start;
            for (; row + 4 <= end; row += 4)
            {
                float* wr = w + (long)row * k;
                int i = 0;
                if (wide)
                {
                    for (; i + 4 <= m; i += 4)
                    {
                        SkinnyGemmKernels512.Rows4x4(x + (long)i * k, wr, k, y + (long)i * n + row, n, bias is null ? null : bias + row);
                    }
                    for (; i < m; i++)
                    {
                        SkinnyGemmKernels512.Rows4x1(x + (long)i * k, wr, k, y + (long)i * n + row, bias is null ? null : bias + row);
                    }
                }
                for (; i + 2 <= m; i += 2)
                {
                    SkinnyGemmKernels.Rows4x2(x + (long)i * k, wr, k, y + (long)i * n + row, n, bias is null ? null : bias + row);
                }
                if (i < m)
                {
                    SkinnyGemmKernels.Rows4x1(x + (long)i * k, wr, k, y + (long)i * n + row, bias is null ? null : bias + row);
                }
            }
            for (; row < end; row++)
            {
                float* wr = w + (long)row * k;
                float b = bias is null ? 0f : bias[row];
                for (int i = 0; i < m; i++)
                {
                    y[(long)i * n + row] = SkinnyGemmKernels.Dot(x + (long)i * k, wr, k) + b;
                }
            }
        }
    }
}
