namespace Platform.Deployment.Tests.Images;

/// <summary>A user-defined bridge network: containers on it reach each other by name, as compose's services do.</summary>
public sealed class DockerNetwork : IAsyncDisposable
{
    private readonly ExternalTool _docker;

    private DockerNetwork(ExternalTool docker, string name)
    {
        _docker = docker;
        Name = name;
    }

    public string Name { get; }

    public static async Task<DockerNetwork> CreateAsync(ExternalTool docker)
    {
        var name = $"platform-test-{Guid.NewGuid().ToString("N")[..8]}";
        var (code, output) = await docker.RunAsync(RepositoryPaths.Root, "network", "create", "--label", RunningContainer.Label, name);
        Assert.True(code == 0, output);
        return new DockerNetwork(docker, name);
    }

    public async ValueTask DisposeAsync() => await _docker.RunAsync(RepositoryPaths.Root, "network", "rm", Name);
}
