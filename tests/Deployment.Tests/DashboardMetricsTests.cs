using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests;

/// <summary>
/// Every series a dashboard, alert or autoscaler reads is one the services really export, and a real Prometheus
/// scraping those services runs every dashboard query and evaluates every rule without an error.
/// </summary>
public sealed class DashboardMetricsTests(ExportedMetricsFixture metrics) : IClassFixture<ExportedMetricsFixture>
{
    private IReadOnlySet<string> Known()
    {
        Skip.If(metrics.SkipReason is not null, metrics.SkipReason);
        var known = new HashSet<string>(metrics.Scraped, StringComparer.Ordinal);
        known.UnionWith(ExportedMetricsFixture.NotScraped.Keys);
        known.UnionWith(MonitoredQueries.Rules().Recorded);
        return known;
    }

    [SkippableFact]
    public void ServicesExportTheirPlatformMetricsAfterTraffic()
    {
        Skip.If(metrics.SkipReason is not null, metrics.SkipReason);
        Assert.Contains("time_to_first_token_seconds_bucket", metrics.ScrapedBy["Gateway"]);
        Assert.Contains("ttft_kv_transfer_seconds_bucket", metrics.ScrapedBy[ExportedMetricsFixture.DirectGateway]);
        Assert.Contains("gateway_request_errors_total", metrics.ScrapedBy["Gateway"]);
        Assert.Contains("kv_transfer_bytes_total", metrics.ScrapedBy["Prefill"]);
        Assert.Contains("kv_transfer_seconds_bucket", metrics.ScrapedBy["Decode"]);
    }

    [SkippableFact]
    public void PrefillAndDecodeExportTheirOwnEngineAndTheBusItsTraffic()
    {
        Skip.If(metrics.SkipReason is not null, metrics.SkipReason);
        foreach (var service in new[] { "Prefill", "Decode", "KvStore" })
        {
            Assert.Contains("kv_cache_usage_perc", metrics.ScrapedBy[service]);
            Assert.Contains("num_requests_running", metrics.ScrapedBy[service]);
            Assert.Contains("num_queued_prompt_tokens", metrics.ScrapedBy[service]);
            Assert.Contains("cacheblend_fallbacks_total", metrics.ScrapedBy[service]);
            Assert.Contains("lora_adapters_resident", metrics.ScrapedBy[service]);
            Assert.Contains("fine_tuning_tokens_trained_total", metrics.ScrapedBy[service]);
        }
        // The bus: the Gateway publishes, the prefill worker takes (queue time) and acknowledges.
        Assert.Contains("bus_messages_total", metrics.ScrapedBy["Gateway"]);
        Assert.Contains("bus_lag", metrics.ScrapedBy["Gateway"]);
        Assert.Contains("bus_queue_seconds_bucket", metrics.ScrapedBy["Prefill"]);
        Assert.Contains("bus_messages_total", metrics.ScrapedBy["Prefill"]);
        // RAG: a miss, a reuse (Prefill reads the stored chunks and blends them) and a store failure.
        Assert.Contains("rag_time_to_first_token_seconds_bucket", metrics.ScrapedBy["Gateway"]);
        Assert.Contains("chunk_bytes_loaded_bytes_total", metrics.ScrapedBy["Prefill"]);
        Assert.Contains("chunks_stored_total", metrics.ScrapedBy["KvStore"]);
        Assert.Contains("chunk_store_failures_total", metrics.Scraped);
        Assert.Contains("chunk_fallbacks_total", metrics.Scraped);
    }

    [SkippableFact]
    public void EveryDashboardQueryReadsExportedMetrics()
    {
        var known = Known();
        var queries = MonitoredQueries.Dashboards().ToList();
        Assert.True(queries.Count >= 30, $"only {queries.Count} dashboard queries found");
        var missing = queries.SelectMany(q => MonitoredQueries.Unknown(q.Expression, known).Select(n => $"{q.Where}: {n}")).ToList();
        Assert.True(missing.Count == 0, "dashboard queries read series no service exports:\n" + string.Join('\n', missing));
    }

    [SkippableFact]
    public void EveryAlertAndRecordingRuleReadsExportedMetrics()
    {
        var known = Known();
        var missing = MonitoredQueries.Rules().Rules
            .SelectMany(q => MonitoredQueries.Unknown(q.Expression, known).Select(n => $"{q.Where}: {n}")).ToList();
        Assert.True(missing.Count == 0, "rules read series no service exports:\n" + string.Join('\n', missing));
    }

    [SkippableFact]
    public void TheCheckCatchesANameNoServiceExports()
    {
        var known = Known();
        Assert.Equal(["time_to_first_token_seconds"],
            MonitoredQueries.Unknown("histogram_quantile(0.9, sum by (le) (rate(time_to_first_token_seconds[5m])))", known));
        Assert.Equal(["gateway_request_errors"], MonitoredQueries.Unknown("rate(gateway_request_errors[5m])", known));
    }

    [SkippableFact]
    public void KedaScalerQueriesReadExportedMetrics()
    {
        var known = Known();
        var helm = HelmChart.Helm();
        Skip.If(helm is null, HelmChart.MissingHelm);
        var queries = KedaQueries(HelmChart.RenderAsync(helm!, []).GetAwaiter().GetResult());
        Assert.NotEmpty(queries);
        var missing = queries.SelectMany(q => MonitoredQueries.Unknown(q, known)).ToList();
        Assert.True(missing.Count == 0, "KEDA queries read series no service exports: " + string.Join(", ", missing));
    }

    [SkippableFact]
    public async Task ARealPrometheusRunsEveryDashboardQueryAndEvaluatesEveryRuleWithoutError()
    {
        Skip.If(metrics.SkipReason is not null, metrics.SkipReason);
        var binary = PrometheusServer.FindBinary();
        Skip.If(binary is null, "needs prometheus (Debian's prometheus package; infra/install-packages.sh installs it)");
        using var prometheus = await PrometheusServer.StartAsync(binary!, metrics.ScrapeTargets, RepositoryPaths.RulesFile);

        // Every service scraped twice at least, so rate() over the dashboards' window has two samples.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var targets = metrics.ScrapeTargets.Count();
        while (true)
        {
            var up = await prometheus.QueryAsync("count_over_time(up[1m]) >= 2 and up == 1");
            if (up["data"]?["result"]?.AsArray().Count == targets)
            {
                break;
            }
            Assert.False(cts.IsCancellationRequested, $"not every target up and scraped twice: {up.ToJsonString()}\n{prometheus.Output}");
            await Task.Delay(250);
        }

        // Prometheus's own parser and type checks (a range where an instant vector belongs, an unknown function):
        // what the name check above cannot see. Grafana's $__rate_interval becomes a window of several scrapes.
        var failures = new List<string>();
        var queries = MonitoredQueries.Dashboards().ToList();
        // The autoscalers' queries as the chart renders them, where helm is there (KEDA sends them to Prometheus as they are).
        if (HelmChart.Helm() is { } helm)
        {
            queries.AddRange(KedaQueries(await HelmChart.RenderAsync(helm, [])).Select(q => ("KEDA ScaledObject", q)));
        }
        foreach (var (where, expression) in queries)
        {
            var answer = await prometheus.QueryAsync(expression.Replace("$__rate_interval", "10s", StringComparison.Ordinal));
            if ((string?)answer["status"] != "success")
            {
                failures.Add($"{where}: {answer["errorType"]}: {answer["error"]}\n  {expression}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {queries.Count} dashboard and KEDA queries failed:\n" + string.Join('\n', failures));

        // The chart's rules, loaded and evaluated on these services' series: each evaluated without an error.
        var rules = new List<JsonNode>();
        while (true)
        {
            rules = [.. (await prometheus.GetDataAsync("/api/v1/rules"))["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!)];
            if (rules.Count > 0 && rules.All(r => (string?)r["health"] != "unknown"))
            {
                break;
            }
            Assert.False(cts.IsCancellationRequested, $"rules not all evaluated yet:\n{prometheus.Output}");
            await Task.Delay(250);
        }
        Assert.Equal(MonitoredQueries.Rules().Rules.Count, rules.Count);
        var broken = rules.Where(r => (string?)r["health"] != "ok").Select(r => $"{r["name"]}: {r["lastError"]}").ToList();
        Assert.True(broken.Count == 0, "rules that failed to evaluate:\n" + string.Join('\n', broken));
    }

    /// <summary>The Prometheus queries of the rendered chart's KEDA ScaledObjects.</summary>
    private static List<string> KedaQueries(IEnumerable<JsonNode?> rendered) =>
        [.. rendered.Where(d => (string?)d!["kind"] == "ScaledObject")
            .SelectMany(d => d!["spec"]!["triggers"]!.AsArray())
            .Where(t => (string?)t!["type"] == "prometheus")
            .Select(t => (string)t!["metadata"]!["query"]!)];

    [Fact]
    public void DashboardsAreWellFormedAndShareTheDatasourceVariable()
    {
        foreach (var file in Directory.GetFiles(RepositoryPaths.Dashboards, "*.json"))
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
            Assert.False(string.IsNullOrEmpty((string?)dashboard["uid"]), file);
            Assert.Contains("platform", dashboard["tags"]!.AsArray().Select(t => (string?)t));
            Assert.Contains(dashboard["templating"]!["list"]!.AsArray(), v => (string?)v!["name"] == "datasource" && (string?)v["type"] == "datasource");
            var panels = MonitoredQueries.Panels(dashboard["panels"]!.AsArray()).ToList();
            Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
            Assert.Contains(panels, p => (string?)p["type"] == "row");
            foreach (var panel in panels.Where(p => (string?)p["type"] != "row"))
            {
                Assert.Equal("${datasource}", (string?)panel["datasource"]?["uid"]);
                Assert.NotEmpty(panel["targets"]!.AsArray());
                var grid = panel["gridPos"]!;
                Assert.InRange((int)grid["x"]! + (int)grid["w"]!, 1, 24);
            }
        }
    }
}
