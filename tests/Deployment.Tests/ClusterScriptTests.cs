namespace Platform.Deployment.Tests;

/// <summary>
/// The cluster, compose and image scripts parse. The image scripts and compose.sh's build run in ServiceImageTests,
/// smoke-test.sh in ChartPodsAsContainersTests; up.sh and down.sh need kind or k3d, whose node images these
/// machines cannot pull.
/// </summary>
public sealed class ClusterScriptTests
{
    public static TheoryData<string> Scripts => new()
    {
        "infra/cluster/up.sh", "infra/cluster/down.sh", "infra/cluster/build-images.sh", "infra/cluster/smoke-test.sh", "infra/compose.sh",
        "infra/images/engine.sh", "infra/images/bases.sh", "infra/images/local-bases.sh",
    };

    [SkippableTheory]
    [MemberData(nameof(Scripts))]
    public async Task ParsesAsBash(string script)
    {
        var bash = ExternalTool.Find("bash");
        Skip.If(bash is null, "needs bash");
        var (code, output) = await bash!.RunAsync(RepositoryPaths.Root, "-n", script);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void TheKindClusterMountsTheModelWhereTheValuesLookForIt()
    {
        var kind = YamlDocuments.ToJson(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "cluster", "kind.yaml")))!;
        var values = YamlDocuments.ToJson(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "cluster", "values-kind.yaml")))!;
        var hostPath = (string)values["model"]!["hostPath"]!;
        foreach (var node in kind["nodes"]!.AsArray())
        {
            Assert.Contains(node!["extraMounts"]!.AsArray(), m => (string?)m!["containerPath"] == hostPath);
        }
    }
}
