namespace Platform.Deployment.Tests.Images;

/// <summary>
/// The five service images, built once per test run by the script users run (infra/cluster/build-images.sh, tag
/// <see cref="Tag"/>) on a Docker engine that infra/images/engine.sh starts where none answers. Tests that need
/// them skip with <see cref="SkipReason"/> where no engine can run; a failed build fails them.
/// </summary>
public sealed class ServiceImages : IAsyncLifetime
{
    public const string Tag = "test";
    private static readonly TimeSpan EngineLimit = TimeSpan.FromMinutes(3);
    // A fresh machine restores every package (libtorch included) inside the build stage and may build the local
    // base images first; later runs hit BuildKit's cache.
    private static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(30);

    private ExternalTool? _docker;
    private string? _buildFailure;

    public string? SkipReason { get; private set; }

    /// <summary>The docker client that talks to the engine; only after <see cref="Require"/>.</summary>
    public ExternalTool Docker => _docker ?? throw new InvalidOperationException("call Require() first");

    public static string Image(string service) => $"platform/{service.ToLowerInvariant()}:{Tag}";

    public async Task InitializeAsync()
    {
        var bash = ExternalTool.Find("bash");
        if (bash is null)
        {
            SkipReason = "needs bash";
            return;
        }
        var (code, output) = await bash.RunAsync(RepositoryPaths.Root, EngineLimit, "infra/images/engine.sh");
        if (code != 0)
        {
            SkipReason = $"needs a Docker engine, and none could be started here (infra/images/engine.sh): {output.Trim()}";
            return;
        }
        var cli = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        _docker = cli.Contains('/', StringComparison.Ordinal) ? ExternalTool.AtPath(cli) : ExternalTool.Find(cli);
        if (_docker is null)
        {
            SkipReason = $"infra/images/engine.sh named a docker client that is not there: {cli}";
            return;
        }
        (code, output) = await bash.RunAsync(RepositoryPaths.Root, BuildLimit, "infra/cluster/build-images.sh", "--tag", Tag);
        if (code != 0)
        {
            _buildFailure = $"infra/cluster/build-images.sh --tag {Tag} failed ({code}):\n{output}";
        }
    }

    /// <summary>Skips the calling test where no engine runs; fails it where the images did not build.</summary>
    public void Require()
    {
        Skip.If(SkipReason is not null, SkipReason);
        Assert.True(_buildFailure is null, _buildFailure);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ServiceImagesCollection : ICollectionFixture<ServiceImages>
{
    public const string Name = "service images";
}
