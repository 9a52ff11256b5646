using System.ComponentModel;
using System.Diagnostics;

namespace Platform.TestSupport;

/// <summary>
/// Kills a child process (and what it started) if this process ends before disposing it (<see cref="ExitCleanup"/>):
/// a test run or benchmark stopped by SIGTERM or Ctrl+C leaves no service or redis-server behind.
/// </summary>
public sealed class KillOnExit(Process process) : IDisposable
{
    private readonly ExitCleanup _cleanup = new(() => Kill(process));

    public void Dispose() => _cleanup.Dispose();

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Already gone or reaped.
        }
    }
}
