using System.Text.RegularExpressions;

namespace Platform.Deployment.Tests;

/// <summary>
/// The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names of
/// grouping clauses or matchers, durations, numbers or Grafana variables. Enough for the expressions of
/// dashboards, rules and KEDA triggers; a name it misses is a name the checks cannot vouch for.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
        "inf", "nan", "Inf", "NaN",
    };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = StringLiteral().Replace(expression, "\"\"");
        text = LabelMatchers().Replace(text, "");
        text = Grouping().Replace(text, "");
        text = RangeOrSubquery().Replace(text, "");
        text = GrafanaVariable().Replace(text, "");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(text))
        {
            var name = m.Groups["name"].Value;
            bool isCall = m.Groups["call"].Success;
            if (!isCall && !Keywords.Contains(name))
            {
                names.Add(name);
            }
        }
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"(?<![\w.:])(?<name>[A-Za-z_:][A-Za-z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
