using System.Diagnostics;
using System.Text;

namespace Platform.Deployment.Tests;

/// <summary>
/// A service started from its build output with a container's environment (as compose gives it), rewritten for
/// loopback: host ports become free local ports, the model path the local checkpoint. Dispose kills it.
/// </summary>
public sealed class ServiceContainer : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceContainer(string name, Process process, string httpBase)
    {
        Name = name;
        _process = process;
        HttpBase = httpBase;
    }

    public string Name { get; }

    /// <summary>Where /health, /alive and /metrics answer over HTTP/1.1.</summary>
    public string HttpBase { get; }

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

    public static ServiceContainer Start(string service, IReadOnlyDictionary<string, string> environment, string httpBase)
    {
        var dll = RepositoryPaths.ServiceDll(service);
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
        // Only the container's environment decides (no sidecar here, nothing inherited that names one).
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DAPR_", StringComparison.Ordinal) || k.Contains("__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var container = new ServiceContainer(service, process, httpBase);
        process.OutputDataReceived += (_, e) => container.Append(e.Data);
        process.ErrorDataReceived += (_, e) => container.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return container;
    }

    /// <summary>Waits until <c>/health</c> answers Healthy over HTTP/1.1 (the readiness probe's view).</summary>
    public async Task WaitHealthyAsync(HttpClient http)
    {
        using var cts = new CancellationTokenSource(ReadyTimeout);
        string last = "";
        while (!cts.IsCancellationRequested)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync($"{HttpBase}/health", cts.Token);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cts.Token)}";
                if (response.IsSuccessStatusCode && last.Contains("Healthy", StringComparison.Ordinal) && !last.Contains("Degraded", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await Task.Delay(200, CancellationToken.None);
        }
        throw new TimeoutException($"{Name} was not healthy within {ReadyTimeout} at {HttpBase}/health (last: {last})\n{Output}");
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
        _process.Dispose();
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
