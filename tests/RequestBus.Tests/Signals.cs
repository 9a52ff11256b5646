using System.Runtime.InteropServices;

namespace Platform.RequestBus.Tests;

/// <summary>Pauses and resumes a process this test started (SIGSTOP, SIGCONT): a worker that is alive but not consuming.</summary>
internal static partial class Signals
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    public static void Pause(ServiceProcess process) => Send(process.ProcessId, SigStop);

    public static void Resume(ServiceProcess process) => Send(process.ProcessId, SigCont);

    private static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
