using System.Diagnostics;
using System.Text;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>A Gateway (Split mode or all-in-one) as a real process on a free loopback port, ready once /health says Healthy. Dispose kills it.</summary>
public sealed class GatewayProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly KillOnExit _killOnExit;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, string baseUrl)
    {
        _process = process;
        _killOnExit = new KillOnExit(process);
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static Task<GatewayProcess> StartAsync(
        string model, string prefillAddress, string decodeAddress, bool colocate, CancellationToken cancellation, IReadOnlyList<string>? extraArguments = null) =>
        StartProcessAsync(model,
        [
            "--Gateway:Mode", "Split",
            "--Gateway:Prefill:Instances:0:Name", "prefill-0", "--Gateway:Prefill:Instances:0:Address", prefillAddress,
            "--Gateway:Decode:Instances:0:Name", "decode-0", "--Gateway:Decode:Instances:0:Address", decodeAddress,
            "--Gateway:Routing:LoadPollInterval", "00:00:00.2000000",
            "--Gateway:Routing:ColocateBelowPromptTokens", colocate ? "100000" : "0",
            .. extraArguments ?? [],
        ], cancellation);

    /// <summary>An all-in-one Gateway (the engine in its own process) with <paramref name="extraArguments"/>.</summary>
    public static Task<GatewayProcess> StartAllInOneAsync(string model, CancellationToken cancellation, IReadOnlyList<string>? extraArguments = null) =>
        StartProcessAsync(model, extraArguments ?? [], cancellation);

    private static async Task<GatewayProcess> StartProcessAsync(string model, IReadOnlyList<string> modeArguments, CancellationToken cancellation)
    {
        var dll = Path.Combine(TestModels.RepositoryRoot, "services", "Gateway", "bin", TestModels.Configuration, "net10.0", "linux-x64", "Platform.Gateway.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"build the Gateway first (dotnet build Platform.sln -c {TestModels.Configuration})", dll);
        }
        int port = ServiceProcess.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        string[] args =
        [
            dll, "--model", model, "--served-model-name", "stories", "--urls", $"http://127.0.0.1:{port}",
            "--Logging:LogLevel:Default", "Warning",
        ];
        foreach (var arg in args.Concat(modeArguments))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("DAPR_GRPC_PORT");
        start.Environment.Remove("DAPR_GRPC_ENDPOINT");
        start.Environment.Remove("DAPR_HTTP_PORT");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var gateway = new GatewayProcess(process, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await gateway.WaitReadyAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            gateway.Dispose();
            throw;
        }
        return gateway;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        _killOnExit.Dispose();
        _process.Dispose();
    }

    private async Task WaitReadyAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + StartTimeout;
        string last = "";
        while (DateTime.UtcNow < until)
        {
            cancellation.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Gateway exited with code {_process.ExitCode} before it was ready:\n{Output()}");
            }
            try
            {
                last = await http.GetStringAsync(BaseUrl + "/health", cancellation).ConfigureAwait(false);
                if (last.StartsWith("Healthy", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
                last = "health check timed out";
            }
            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
        throw new TimeoutException($"Gateway was not healthy within {StartTimeout}: {last}\n{Output()}");
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
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
            if (_output.Length < 100_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}
