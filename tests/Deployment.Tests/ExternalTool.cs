using System.Diagnostics;

namespace Platform.Deployment.Tests;

/// <summary>A command-line tool (promtool, docker-compose, helm) found on PATH, run to completion with a timeout.</summary>
public sealed record ExternalTool(string Path)
{
    public static ExternalTool? Find(string name, string? environmentOverride = null)
    {
        if (environmentOverride is not null && Environment.GetEnvironmentVariable(environmentOverride) is { Length: > 0 } explicitPath
            && File.Exists(explicitPath))
        {
            return new ExternalTool(explicitPath);
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return new ExternalTool(candidate);
            }
        }
        return null;
    }

    public static ExternalTool? AtPath(string path) => File.Exists(path) ? new ExternalTool(path) : null;

    public Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, TimeSpan.FromSeconds(60), args);

    public async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, TimeSpan limit, params string[] args)
    {
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Path}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
