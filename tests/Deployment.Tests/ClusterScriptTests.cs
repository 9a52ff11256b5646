namespace Platform.Deployment.Tests;

/// <summary>The cluster and compose scripts parse (they need Docker and kind or k3d to run, which this machine lacks).</summary>
public sealed class ClusterScriptTests
{
    public static TheoryData<string> Scripts => new()
    {
        "infra/cluster/up.sh", "infra/cluster/down.sh", "infra/cluster/build-images.sh", "infra/cluster/smoke-test.sh", "infra/compose.sh",
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
