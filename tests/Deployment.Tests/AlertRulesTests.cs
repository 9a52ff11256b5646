namespace Platform.Deployment.Tests;

/// <summary>The alert rules through promtool (Debian's prometheus package): syntax and unit tests.</summary>
public sealed class AlertRulesTests
{
    private const string MissingPromtool = "needs promtool (Debian/Ubuntu package prometheus; infra/install-packages.sh installs it)";

    [SkippableFact]
    public async Task RulesPassPromtoolCheck()
    {
        var promtool = ExternalTool.Find("promtool");
        Skip.If(promtool is null, MissingPromtool);
        var (code, output) = await promtool!.RunAsync(RepositoryPaths.Root, "check", "rules", RepositoryPaths.RulesFile);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task RulesPassTheirUnitTests()
    {
        var promtool = ExternalTool.Find("promtool");
        Skip.If(promtool is null, MissingPromtool);
        var (code, output) = await promtool!.RunAsync(RepositoryPaths.ChartFiles, "test", "rules", "rules-tests/platform-alerts.test.yaml");
        Assert.True(code == 0, output);
    }

    [SkippableFact]
    public async Task ComposePrometheusConfigIsValid()
    {
        var promtool = ExternalTool.Find("promtool");
        Skip.If(promtool is null, MissingPromtool);
        var (code, output) = await promtool!.RunAsync(RepositoryPaths.Root, "check", "config", "--syntax-only", "infra/prometheus/prometheus.yml");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void EveryAlertTheIssueAsksForExists()
    {
        var rules = File.ReadAllText(RepositoryPaths.RulesFile);
        foreach (var alert in new[] { "PlatformTtftSloBurnFast", "PlatformInterTokenSloBurnFast", "PlatformBusLagHigh", "PlatformKvCacheNearFull", "PlatformServerErrorRateHigh", "PlatformInstanceDown" })
        {
            Assert.Contains($"alert: {alert}", rules, StringComparison.Ordinal);
        }
    }
}
