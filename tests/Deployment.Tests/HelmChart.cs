using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>Renders charts/platform with the helm binary (PATH, or HELM naming it), when there is one.</summary>
public static class HelmChart
{
    public const string MissingHelm = "needs the helm binary on PATH (or HELM=/path/to/helm); none is installed on this machine";

    public static ExternalTool? Helm() => ExternalTool.Find("helm", "HELM");

    /// <summary>The rendered manifests (one JSON node per document) for <c>--set</c> values.</summary>
    public static async Task<IReadOnlyList<JsonNode?>> RenderAsync(ExternalTool helm, IEnumerable<string> sets) =>
        YamlDocuments.LoadAll(await RenderTextAsync(helm, sets));

    public static async Task<string> RenderTextAsync(ExternalTool helm, IEnumerable<string> sets)
    {
        var args = new List<string> { "template", "test", RepositoryPaths.Chart, "--namespace", "llm" };
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
