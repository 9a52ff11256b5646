using System.Runtime.InteropServices;

namespace Platform.Engine.KvCache;

/// <summary>
/// Keeps the memory of freed CPU tensors in the process for the next step (glibc malloc). A CPU step allocates
/// and frees activations of several megabytes per layer; by default glibc serves blocks over its mmap threshold
/// with fresh mappings and trims the heap top back to the OS, so the next step faults every page in again. How
/// often that happens depends on what else the process allocated: the same 1k-token prefill took 1.5-2.8x as
/// long in a Decode process (which also receives KV transfers) as in a Prefill process, and the same time in
/// both with these settings. A fixed mmap threshold at glibc's maximum and a trim threshold far above any step's
/// working set keep those blocks for reuse, as PyTorch's own caching allocators do on GPUs. Process-wide,
/// best effort: elsewhere (musl, other systems) it does nothing.
/// </summary>
internal static partial class HostMemory
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    /// <summary>glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).</summary>
    private const int MmapThreshold = 32 << 20;

    private const int TrimThreshold = 1 << 30;

    private static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>Applies the settings once per process; true when malloc took them.</summary>
    public static bool RetainFreedMemory() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            // mallopt answers 1 on success. Setting either turns off glibc's dynamic thresholds.
            return Mallopt(MMmapThreshold, MmapThreshold) == 1 & Mallopt(MTrimThreshold, TrimThreshold) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
