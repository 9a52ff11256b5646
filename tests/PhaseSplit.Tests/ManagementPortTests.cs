using System.Net;
using Platform.TestSupport;

namespace Platform.PhaseSplit.Tests;

public sealed class ManagementPortTests
{
    [SkippableFact]
    public async Task Prometheus_scrapes_a_grpc_only_service_over_http1_on_the_management_port()
    {
        var model = TestModels.RequireStories260K();
        int management = ServiceProcess.FreePort();
        // Ready means gRPC GetLoad answered on the service's own h2c port.
        using var decode = await ServiceProcess.StartAsync("Decode", model, "--Management:Port", management.ToString());

        using var http1 = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var metrics = await http1.GetAsync($"http://127.0.0.1:{management}/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpVersion.Version11, metrics.Version);
        Assert.Contains("# TYPE", await metrics.Content.ReadAsStringAsync());
        Assert.StartsWith("Healthy", await http1.GetStringAsync($"http://127.0.0.1:{management}/health"));

        // The service's own port still speaks gRPC (h2c).
        await decode.GetLoadAsync();
    }
}
