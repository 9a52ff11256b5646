using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Platform.Engine.Model;

/// <summary>
/// Makes torch's OpenMP worker threads sleep as soon as a parallel region ends instead of spinning
/// (<c>OMP_WAIT_POLICY=PASSIVE</c>). The engine's C# kernels (<see cref="KernelThreads"/>) run right after torch
/// ops in every decode step, and a spinning OpenMP worker holds a core they need: on two cores every C# kernel of
/// a batch-32 decode step ran up to 1.7x slower, the step 1.4x. libgomp reads the variable once, when libtorch
/// loads, so this assembly's module initializer sets it before any torch call can load the library; an operator's
/// own <c>OMP_WAIT_POLICY</c> is kept. Linux only (elsewhere it does nothing).
/// </summary>
public static partial class OpenMpWaitPolicy
{
    private const string Variable = "OMP_WAIT_POLICY";

    /// <summary>
    /// True when this assembly set the passive policy before OpenMP was loaded, so torch's threads follow it;
    /// false when the operator set a policy, the system is not Linux, or OpenMP was loaded first.
    /// </summary>
    public static bool Applied { get; private set; }

    /// <summary>The policy in the process environment (the native one libgomp reads); null when unset.</summary>
    private static string? Current => OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(GetEnv(Variable)) : null;

    /// <summary>What torch's threads do between parallel regions, for the engine's start-up log.</summary>
    public static string Description =>
        Applied ? "PASSIVE (set by the engine)"
        : _setTooLate ? "OpenMP's default (it was loaded before the engine could set OMP_WAIT_POLICY)"
        : Current is { } policy ? $"{policy} (from the environment)"
        : "OpenMP's default";

    private static bool _setTooLate;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "libgomp reads the policy when libtorch loads, which any torch call in this assembly may trigger first.")]
    internal static void SetPassiveUnlessConfigured()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null)
        {
            return;
        }
        try
        {
            // .NET keeps its own copy of the environment on Unix; libgomp reads the native one.
            bool openMpLoaded = File.ReadAllText("/proc/self/maps").Contains("libgomp", StringComparison.Ordinal);
            Applied = SetEnv(Variable, "PASSIVE", 0) == 0 && !openMpLoaded;
            _setTooLate = openMpLoaded;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Not applied: the start-up line reports OpenMP's default.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
