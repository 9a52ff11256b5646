namespace Platform.Engine.Model;

/// <summary>
/// Process-wide switch for the C# CPU kernels (<see cref="SkinnyGemm"/>, <see cref="PagedDecodeAttention"/>);
/// on by default. It exists so a benchmark can time the kernels against the torch paths they replace in
/// one process, interleaved; flip it only inside try/finally.
/// </summary>
public static class CpuKernels
{
    public static bool Enabled { get; set; } = true;
}
