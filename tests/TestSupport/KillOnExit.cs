using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Platform.TestSupport;

/// <summary>
/// Kills a child process (and what it started) if this process ends before disposing it: on SIGTERM or SIGINT
/// (Ctrl+C), which then end this process as they would have, and on any other exit that raises ProcessExit. A test
/// run or benchmark stopped that way leaves no service or redis-server behind. Disposing unregisters it (the
/// owner ends the child itself).
/// </summary>
public sealed class KillOnExit : IDisposable
{
    private readonly Process _process;
    private readonly PosixSignalRegistration[] _signals;

    public KillOnExit(Process process)
    {
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        _signals = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT }.Select(s => PosixSignalRegistration.Create(s, _ => Kill()))];
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
    }

    private void OnExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Already gone or reaped.
        }
    }
}
