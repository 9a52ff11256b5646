using System.Text.RegularExpressions;

namespace Platform.Deployment.Tests;

/// <summary>
/// A container's environment as docker-compose gives it: the image's ENV (its Dockerfile's last stage) under the
/// compose service's <c>environment</c>, with <c>${VAR:-default}</c> taken at its default.
/// </summary>
public static partial class ContainerEnvironment
{
    public static Dictionary<string, string> Of(string composeService, string dockerfile)
    {
        var env = DockerfileEnv(File.ReadAllText(dockerfile));
        foreach (var (key, value) in ComposeEnv(composeService))
        {
            env[key] = value;
        }
        return env;
    }

    public static Dictionary<string, string> ComposeEnv(string composeService)
    {
        var compose = YamlDocuments.LoadMerged(File.ReadAllText(RepositoryPaths.Compose));
        var services = (Dictionary<object, object?>)compose["services"]!;
        var service = (Dictionary<object, object?>)services[composeService]!;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (service.TryGetValue("environment", out var raw) && raw is Dictionary<object, object?> map)
        {
            foreach (var (key, value) in map)
            {
                env[(string)key] = Interpolate(value?.ToString() ?? "");
            }
        }
        return env;
    }

    /// <summary>ENV instructions of the Dockerfile's last stage (<c>ENV a=b c=d</c>, with line continuations).</summary>
    public static Dictionary<string, string> DockerfileEnv(string dockerfile)
    {
        var joined = dockerfile.Replace("\\\n", " ", StringComparison.Ordinal);
        var lines = joined.Split('\n');
        int lastFrom = Array.FindLastIndex(lines, l => l.TrimStart().StartsWith("FROM ", StringComparison.OrdinalIgnoreCase));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(lastFrom + 1).Select(l => l.Trim()).Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match m in EnvPair().Matches(line[4..]))
            {
                env[m.Groups["key"].Value] = m.Groups["value"].Value.Trim('"');
            }
        }
        return env;
    }

    public static string Interpolate(string value) => Variable().Replace(value, m => m.Groups["default"].Value);

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_.]*)=(?<value>""[^""]*""|\S+)")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:?-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();
}
