using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>Renders charts/platform with the helm binary (HELM naming it, PATH, or .tools/bin/helm from
/// infra/install-helm.sh), when there is one.</summary>
public static class HelmChart
{
    public const string MissingHelm =
        "needs helm: run infra/setup.sh (installs it into .tools/bin), put helm on PATH or set HELM=/path/to/helm";

    public static ExternalTool? Helm() =>
        ExternalTool.Find("helm", "HELM") ?? ExternalTool.AtPath(Path.Combine(RepositoryPaths.Root, ".tools", "bin", "helm"));

    /// <summary>The rendered manifests (one JSON node per document) for <c>--set</c> values.</summary>
    public static async Task<IReadOnlyList<JsonNode?>> RenderAsync(ExternalTool helm, IEnumerable<string> sets) =>
        YamlDocuments.LoadAll(await RenderTextAsync(helm, sets));

    public static async Task<string> RenderTextAsync(ExternalTool helm, IEnumerable<string> sets, params string[] valueFiles)
    {
        var args = new List<string> { "template", "test", RepositoryPaths.Chart, "--namespace", "llm" };
        foreach (var file in valueFiles)
        {
            args.Add("--values");
            args.Add(file);
        }
        foreach (var set in sets)
        {
            args.Add("--set");
            args.Add(set);
        }
        var (code, output) = await helm.RunAsync(RepositoryPaths.Root, [.. args]);
        Assert.True(code == 0, $"helm {string.Join(' ', args)} failed:\n{output}");
        return output;
    }
}
