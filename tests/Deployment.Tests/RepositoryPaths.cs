namespace Platform.Deployment.Tests;

/// <summary>Where the deployment artefacts live in the repository.</summary>
public static class RepositoryPaths
{
    public static string Root => TestModels.RepositoryRoot;

    public static string Chart => Path.Combine(Root, "charts", "platform");

    public static string ChartFiles => Path.Combine(Chart, "files");

    public static string Dashboards => Path.Combine(ChartFiles, "dashboards");

    public static string RulesFile => Path.Combine(ChartFiles, "rules", "platform-alerts.yaml");

    public static string Compose => Path.Combine(Root, "docker-compose.yml");

    public static string ComposeGpu => Path.Combine(Root, "docker-compose.gpu.yml");

    public static string Dockerfile(string service) => Path.Combine(Root, "services", service, "Dockerfile");

    public static string ServiceDll(string service) =>
        Path.Combine(Root, "services", service, "bin", TestModels.Configuration, "net10.0", "linux-x64", $"Platform.{service}.dll");
}
