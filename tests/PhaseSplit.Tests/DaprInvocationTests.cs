using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Invocation;

namespace Platform.PhaseSplit.Tests;

/// <summary>
/// How service-to-service calls reach a Dapr sidecar. No daprd runs here, so the sidecar's side is a plain HTTP/2
/// listener that records what arrives: the method path and Dapr's routing and auth headers, which is everything
/// the sidecar reads to route a gRPC invocation (its proxying to the target app is Dapr's own).
/// </summary>
public sealed class DaprInvocationTests
{
    [Fact]
    public void The_sidecar_endpoint_is_dapr_grpc_endpoint_then_dapr_grpc_port_else_none()
    {
        Dictionary<string, string?> env = new() { ["DAPR_GRPC_PORT"] = "50001" };
        Assert.Equal("http://127.0.0.1:50001", DaprGrpcChannelFactory.SidecarEndpoint(k => env.GetValueOrDefault(k)));
        env["DAPR_GRPC_ENDPOINT"] = "http://dapr.local:443";
        Assert.Equal("http://dapr.local:443", DaprGrpcChannelFactory.SidecarEndpoint(k => env.GetValueOrDefault(k)));
        Assert.Null(DaprGrpcChannelFactory.SidecarEndpoint(_ => null));
    }

    [Fact]
    public async Task A_call_to_an_app_id_goes_to_the_sidecar_with_its_app_id_and_token_and_one_with_only_an_address_goes_straight_there()
    {
        await using var sidecar = await RecordingListener.StartAsync();
        await using var direct = await RecordingListener.StartAsync();
        using var directFactory = new DirectGrpcChannelFactory();
        var factory = new DaprGrpcChannelFactory(sidecar.Address, "secret-token", directFactory);

        var viaDapr = new DecodeService.DecodeServiceClient(factory.CreateInvoker(new ServiceTarget("decode-0", "")));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await viaDapr.GetLoadAsync(new GetLoadRequest()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        var call = Assert.Single(sidecar.Calls);
        Assert.Equal("/platform.inference.v1.DecodeService/GetLoad", call.Path);
        Assert.Equal("decode-0", call.Headers["dapr-app-id"]);
        Assert.Equal("secret-token", call.Headers["dapr-api-token"]);

        var straight = new DecodeService.DecodeServiceClient(factory.CreateInvoker(new ServiceTarget("", direct.Address)));
        await Assert.ThrowsAsync<RpcException>(async () => await straight.GetLoadAsync(new GetLoadRequest()));
        var directCall = Assert.Single(direct.Calls);
        Assert.Equal("/platform.inference.v1.DecodeService/GetLoad", directCall.Path);
        Assert.False(directCall.Headers.ContainsKey("dapr-app-id"));
        Assert.Single(sidecar.Calls);
    }

    private sealed record RecordedCall(string Path, IReadOnlyDictionary<string, string> Headers);

    /// <summary>An h2c listener that records each request and answers gRPC's UNIMPLEMENTED.</summary>
    private sealed class RecordingListener : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<RecordedCall> _calls = new();

        private RecordingListener(WebApplication app, int port)
        {
            _app = app;
            Address = $"http://127.0.0.1:{port}";
        }

        public string Address { get; }

        public IReadOnlyCollection<RecordedCall> Calls => _calls;

        public static async Task<RecordingListener> StartAsync()
        {
            int port = ServiceProcess.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2));
            var app = builder.Build();
            var listener = new RecordingListener(app, port);
            app.Run(async context =>
            {
                listener._calls.Enqueue(new RecordedCall(
                    context.Request.Path.Value ?? "",
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                context.Response.ContentType = "application/grpc";
                context.Response.AppendTrailer("grpc-status", ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Response.AppendTrailer("grpc-message", "recorded");
                await context.Response.Body.FlushAsync();
            });
            await app.StartAsync();
            return listener;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
