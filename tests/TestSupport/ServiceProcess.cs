using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Invocation;

namespace Platform.TestSupport;

/// <summary>
/// A Prefill or Decode service as a real separate process on a free loopback port, started from its build
/// output and ready once it answers GetLoad. Dispose kills it (and anything it started).
/// </summary>
public sealed partial class ServiceProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly KillOnExit _killOnExit;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, Process process, string address)
    {
        Name = name;
        _process = process;
        _killOnExit = new KillOnExit(process);
        Address = address;
        Channel = GrpcChannel.ForAddress(address, GrpcChannels.Options());
    }

    public string Name { get; }

    public string Address { get; }

    public int Port => new Uri(Address).Port;

    public GrpcChannel Channel { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The process's id.</summary>
    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts Platform.{service}.dll with the model and extra configuration (<c>--Key value</c> pairs) on a free port.
    /// A port that was free when picked can be taken (by any connection's local port) before the process binds it:
    /// then it starts again on another one.
    /// </summary>
    public static Task<ServiceProcess> StartAsync(string service, string model, params string[] settings) =>
        OnAFreePortAsync(port => StartAsync(service, model, port, settings));

    /// <summary>As above, on <paramref name="port"/>: a process restarted on the port of one that was killed is the same instance to its callers.</summary>
    public static async Task<ServiceProcess> StartAsync(string service, string model, int port, params string[] settings)
    {
        var dll = Path.Combine(TestModels.RepositoryRoot, "services", service, "bin", TestModels.Configuration, "net10.0", "linux-x64", $"Platform.{service}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"build {service} first (dotnet build Platform.sln -c {TestModels.Configuration})", dll);
        }
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in new[] { "--model", model, "--urls", $"http://127.0.0.1:{port}", "--Engine:CpuThreads", "1", "--Logging:LogLevel:Default", "Warning" }.Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }
        // Straight gRPC between the processes, whatever this machine's environment says.
        start.Environment.Remove("DAPR_GRPC_PORT");
        start.Environment.Remove("DAPR_GRPC_ENDPOINT");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var service_ = new ServiceProcess(service, process, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => service_.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service_.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service_.WaitReadyAsync().ConfigureAwait(false);
        }
        catch
        {
            service_.Dispose();
            throw;
        }
        return service_;
    }

    public async Task<LoadReport> GetLoadAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        return Name == "Prefill"
            ? await new PrefillService.PrefillServiceClient(Channel).GetLoadAsync(new GetLoadRequest(), deadline: deadline)
            : await new DecodeService.DecodeServiceClient(Channel).GetLoadAsync(new GetLoadRequest(), deadline: deadline);
    }

    /// <summary>Polls GetLoad until <paramref name="condition"/> holds; fails with the last report after <paramref name="timeout"/>.</summary>
    public async Task<LoadReport> WaitForLoadAsync(Func<LoadReport, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var report = await GetLoadAsync();
        while (!condition(report))
        {
            Assert.False(cts.IsCancellationRequested, $"{Name}: load never reached the expected state; last: {report}");
            await Task.Delay(50);
            report = await GetLoadAsync();
        }
        return report;
    }

    /// <summary>Freezes the process (SIGSTOP): alive, holding its sockets, but computing and answering nothing.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>Lets a paused process go on (SIGCONT).</summary>
    public void Resume() => Signal(SigCont);

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        Channel.Dispose();
        _killOnExit.Dispose();
        _process.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        var until = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                // Until its output is read to the end (it says why it exited).
                _process.WaitForExit();
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready:\n{Output}");
            }
            try
            {
                await GetLoadAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw new TimeoutException($"{Name} was not ready within {StartTimeout}: {e.Status}\n{Output}");
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private const int SigCont = 18;
    private const int SigStop = 19;

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    /// <summary>
    /// Starts a process on a free port; when it fails because the port was taken before it bound it (its output
    /// says "address already in use", as the exception from <paramref name="start"/> quotes it), twice more on others.
    /// </summary>
    public static async Task<T> OnAFreePortAsync<T>(Func<int, Task<T>> start)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await start(FreePort()).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
                when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
