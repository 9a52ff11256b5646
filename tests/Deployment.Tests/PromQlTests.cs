namespace Platform.Deployment.Tests;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(time_to_first_token_seconds_bucket{component=\"gateway\"}[$__rate_interval])))", "time_to_first_token_seconds_bucket")]
    [InlineData("sum(rate(a_total{x=~\"5..\"}[5m])) / sum(rate(b_count[5m])) > 0.05", "a_total b_count")]
    [InlineData("max(kv_cache_usage_perc{component=\"gateway\"}) * scalar(count(up{component=\"decode\"} == 1))", "kv_cache_usage_perc up")]
    [InlineData("platform:ttft_slo_violation:ratio_rate1h > (14.4 * 0.01) and platform:itl:ratio_rate5m > 1e-3", "platform:ttft_slo_violation:ratio_rate1h platform:itl:ratio_rate5m")]
    [InlineData("sum without (instance) (rate(x[1h:5m] offset 1d)) unless on (job) y", "x y")]
    [InlineData("sum by (topic) (kafka_consumergroup_lag{consumergroup=\"prefill\", topic=\"a.b\"})", "kafka_consumergroup_lag")]
    public void FindsTheMetricNamesAndNothingElse(string expression, string expected)
    {
        Assert.Equal(expected.Split(' ').Order(), PromQl.MetricNames(expression).Order());
    }

    [Fact]
    public void ReadsSeriesNamesFromAnExposition()
    {
        var names = PrometheusText.SeriesNames("""
            # TYPE a_total counter
            a_total{otel_scope_name="x",status_code="400"} 1
            b_bucket{le="0.5"} 3
            target_info 1
            """);
        Assert.Equal(["a_total", "b_bucket", "target_info"], names.Order());
    }
}
