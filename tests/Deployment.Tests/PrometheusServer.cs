using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package, the one promtool comes with) on a free loopback port,
/// scraping the given targets every second with the chart's rules loaded, its data in a temporary directory.
/// Dispose kills it and removes the directory.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    public const string ScrapeInterval = "1s";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly KillOnExit _killOnExit;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _killOnExit = new KillOnExit(process);
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public static string? FindBinary() => ExternalTool.Find("prometheus")?.Path;

    /// <summary>Scrapes <paramref name="targets"/> (host:port, each with its <c>component</c> label, as compose's and the chart's do).</summary>
    public static async Task<PrometheusServer> StartAsync(string binary, IEnumerable<(string Component, string Target)> targets, string rulesFile)
    {
        var directory = Directory.CreateTempSubdirectory("platform-prometheus-").FullName;
        var config = new StringBuilder($"""
            global:
              scrape_interval: {ScrapeInterval}
              evaluation_interval: {ScrapeInterval}
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: platform
                static_configs:

            """);
        foreach (var (component, target) in targets)
        {
            config.Append($"""
                      - targets: ["{target}"]
                        labels:
                          component: {component}

                """);
        }
        var configFile = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config.ToString());

        int port = ServiceProcess.FreePort();
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            $"--config.file={configFile}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

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

    /// <summary>An instant query through the HTTP API: its whole answer (status, data or errorType/error).</summary>
    public async Task<JsonNode> QueryAsync(string expression)
    {
        using var response = await _http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(expression)}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>The API's <c>data</c> of a GET (targets, rules).</summary>
    public async Task<JsonNode> GetDataAsync(string path) =>
        JsonNode.Parse(await _http.GetStringAsync(path))!["data"]!;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _killOnExit.Dispose();
        _process.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the dying process: the temporary directory is left behind, nothing else.
        }
    }

    private async Task WaitReadyAsync()
    {
        using var cts = new CancellationTokenSource(ReadyTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var ready = await _http.GetAsync("/-/ready", cts.Token);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100, cts.Token);
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
            _output.AppendLine(line);
        }
    }
}
