using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>The PromQL expressions the deployment ships: dashboard panels, alert and recording rules.</summary>
public static class MonitoredQueries
{
    /// <summary>(where, expression) for every target of every dashboard panel, rows included.</summary>
    public static IEnumerable<(string Where, string Expression)> Dashboards()
    {
        foreach (var file in Directory.GetFiles(RepositoryPaths.Dashboards, "*.json").Order(StringComparer.Ordinal))
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
            foreach (var panel in Panels(dashboard["panels"]!.AsArray()))
            {
                foreach (var target in panel["targets"]?.AsArray() ?? [])
                {
                    yield return ($"{Path.GetFileName(file)} / {panel["title"]}", (string)target!["expr"]!);
                }
            }
        }
    }

    public static IEnumerable<JsonNode> Panels(JsonArray panels)
    {
        foreach (var panel in panels.Select(p => p!))
        {
            yield return panel;
            if (panel["panels"] is JsonArray nested)
            {
                foreach (var inner in Panels(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>(where, expression) of every rule, and the names the recording rules define.</summary>
    public static (List<(string Where, string Expression)> Rules, HashSet<string> Recorded) Rules()
    {
        var doc = YamlDocuments.ToJson(File.ReadAllText(RepositoryPaths.RulesFile))!;
        var rules = new List<(string, string)>();
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in doc["groups"]!.AsArray())
        {
            foreach (var rule in group!["rules"]!.AsArray())
            {
                var name = (string?)rule!["alert"] ?? (string)rule["record"]!;
                if (rule["record"] is not null)
                {
                    recorded.Add(name);
                }
                rules.Add(($"rule {name}", (string)rule["expr"]!));
            }
        }
        return (rules, recorded);
    }

    /// <summary>The names an expression reads that are not in <paramref name="known"/>.</summary>
    public static IEnumerable<string> Unknown(string expression, IReadOnlySet<string> known) =>
        PromQl.MetricNames(expression).Where(n => !known.Contains(n));
}
