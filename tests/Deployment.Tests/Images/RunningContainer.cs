using System.Globalization;

namespace Platform.Deployment.Tests.Images;

/// <summary>
/// A container started with <c>docker run -d</c> from one of the service images, named uniquely and labelled for
/// cleanup. Dispose removes it (and its anonymous volumes).
/// </summary>
public sealed class RunningContainer : IAsyncDisposable
{
    public const string Label = "platform.test=deployment";
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(150);
    private readonly ExternalTool _docker;

    private RunningContainer(ExternalTool docker, string name)
    {
        _docker = docker;
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// Runs <paramref name="image"/> as <paramref name="name"/> (made unique) with <paramref name="options"/>
    /// (network, volumes, <c>-e</c> settings, published ports) before the image name.
    /// </summary>
    public static async Task<RunningContainer> StartAsync(ExternalTool docker, string name, string image, IEnumerable<string> options)
    {
        var unique = $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        string[] args = ["run", "-d", "--name", unique, "--label", Label, .. options, image];
        var (code, output) = await docker.RunAsync(RepositoryPaths.Root, args);
        Assert.True(code == 0, $"docker {string.Join(' ', args)}:\n{output}");
        return new RunningContainer(docker, unique);
    }

    /// <summary>Waits until the image's own HEALTHCHECK reports healthy; fails with the logs if it exits or turns unhealthy.</summary>
    public async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow + HealthyTimeout;
        while (true)
        {
            var state = await InspectAsync("{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}");
            if (state == "running healthy")
            {
                return;
            }
            if (state.StartsWith("exited", StringComparison.Ordinal) || state.EndsWith("unhealthy", StringComparison.Ordinal)
                || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{Name} is '{state}', not healthy:\n{await LogsAsync()}");
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Waits until <paramref name="url"/>, fetched inside the container, answers with text that starts with <paramref name="prefix"/>.</summary>
    public async Task WaitUntilAnswersAsync(string url, string prefix)
    {
        var deadline = DateTime.UtcNow + HealthyTimeout;
        while (true)
        {
            var (code, output) = await _docker.RunAsync(RepositoryPaths.Root, "exec", Name, "curl", "-sS", url);
            if (code == 0 && output.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{Name}: {url} still answers '{output.Trim()}', not '{prefix}…'");
            await Task.Delay(250);
        }
    }

    /// <summary>A Go template over <c>docker inspect</c> of this container.</summary>
    public async Task<string> InspectAsync(string format)
    {
        var (code, output) = await _docker.RunAsync(RepositoryPaths.Root, "inspect", "--format", format, Name);
        Assert.True(code == 0, output);
        return output.Trim();
    }

    /// <summary>The loopback URL on this machine of a port published with <c>-p 127.0.0.1::PORT</c>.</summary>
    public async Task<Uri> PublishedAsync(int containerPort)
    {
        var (code, output) = await _docker.RunAsync(RepositoryPaths.Root, "port", Name, $"{containerPort}/tcp");
        Assert.True(code == 0, output);
        var hostPort = output.Trim().Split('\n')[0].Split(':')[^1];
        return new Uri($"http://127.0.0.1:{int.Parse(hostPort, CultureInfo.InvariantCulture)}");
    }

    /// <summary>Runs a command inside the container (as its user) and returns what it printed; fails on a non-zero exit.</summary>
    public async Task<string> ExecAsync(params string[] command)
    {
        var (code, output) = await _docker.RunAsync(RepositoryPaths.Root, ["exec", Name, .. command]);
        Assert.True(code == 0, $"docker exec {Name} {string.Join(' ', command)}:\n{output}");
        return output;
    }

    /// <summary><c>docker stop</c> (SIGTERM, then SIGKILL after <paramref name="grace"/>) and the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        var seconds = ((int)grace.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var (code, output) = await _docker.RunAsync(RepositoryPaths.Root, grace + TimeSpan.FromSeconds(30), "stop", "-t", seconds, Name);
        Assert.True(code == 0, output);
        return int.Parse(await InspectAsync("{{.State.ExitCode}}"), CultureInfo.InvariantCulture);
    }

    public async Task<string> LogsAsync() => (await _docker.RunAsync(RepositoryPaths.Root, "logs", "--tail", "200", Name)).Output;

    public async ValueTask DisposeAsync() => await _docker.RunAsync(RepositoryPaths.Root, "rm", "-f", "-v", Name);
}
