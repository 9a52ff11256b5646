using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Platform.Engine.KvCache;

/// <summary>
/// Asks Linux for transparent huge pages under a large CPU tensor before it is first touched. Decode
/// attention reads one 3-KB KV row per position from scattered slots; with 4-KB pages nearly every row
/// costs a page walk, which is dear under virtualisation. Distributions ship THP in "madvise" mode, so
/// the memory must opt in. Best effort: elsewhere it does nothing.
/// </summary>
internal static partial class HugePages
{
    private const int MadvHugePage = 14;
    private const long HugePageSize = 2L * 1024 * 1024;

    public static unsafe void Advise(Tensor tensor)
    {
        if (!OperatingSystem.IsLinux() || tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous())
        {
            return;
        }
        long bytes = tensor.NumberOfElements * tensor.ElementSize;
        if (bytes < 2 * HugePageSize)
        {
            return;
        }
        // The address of the first element, through a one-element view (a Span cannot cover over 2 GB).
        using var first = tensor.view(-1).narrow(0, 0, 1);
        long start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
        long alignedStart = (start + HugePageSize - 1) & ~(HugePageSize - 1);
        long alignedEnd = (start + bytes) & ~(HugePageSize - 1);
        if (alignedEnd > alignedStart)
        {
            _ = Madvise((nint)alignedStart, (nuint)(alignedEnd - alignedStart), MadvHugePage);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
