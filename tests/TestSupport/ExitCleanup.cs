using System.Runtime.InteropServices;

namespace Platform.TestSupport;

/// <summary>
/// Runs a clean-up if this process ends before the owner disposes it: on SIGTERM or SIGINT (Ctrl+C), which then end
/// the process as they would have, and on any other exit that raises ProcessExit. Disposing unregisters it (the owner
/// cleans up itself). The clean-up must tolerate running more than once.
/// </summary>
public sealed class ExitCleanup : IDisposable
{
    private readonly Action _cleanup;
    private readonly PosixSignalRegistration[] _signals;

    public ExitCleanup(Action cleanup)
    {
        _cleanup = cleanup;
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        _signals = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT }.Select(s => PosixSignalRegistration.Create(s, _ => cleanup()))];
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
    }

    private void OnExit(object? sender, EventArgs e) => _cleanup();
}
