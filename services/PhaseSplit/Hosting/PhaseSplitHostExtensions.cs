using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.PhaseSplit.Invocation;
using Platform.PhaseSplit.Kv;
using Platform.PhaseSplit.Metrics;

namespace Platform.PhaseSplit.Hosting;

/// <summary>What the Prefill and Decode hosts share: the engine, gRPC with KV-sized messages, channels, KV metrics.</summary>
public static class PhaseSplitHostExtensions
{
    /// <summary>
    /// The engine (model from <c>--model DIR</c> or <c>{section}:ModelPath</c>, <c>Engine:*</c> options, both
    /// validated at start), run by a hosted service and reported by the readiness check.
    /// </summary>
    public static WebApplicationBuilder AddPhaseSplitEngine(this WebApplicationBuilder builder, string section)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<EngineHostOptions>()
            .BindConfiguration(section)
            .PostConfigure<IConfiguration>((o, config) => o.ModelPath ??= config["model"])
            .Validate(o => o.ModelPath is { Length: > 0 } path && File.Exists(Path.Combine(path, "config.json")),
                $"the model directory is missing or has no config.json: pass --model DIR or set {section}:ModelPath ({section}__ModelPath)")
            .ValidateOnStart();
        services.AddOptions<EngineOptions>().BindConfiguration("Engine").ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton<EngineHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine");
        services.AddSingleton<KvTransferMetrics>();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = KvWire.MaxGrpcMessageBytes;
            o.MaxSendMessageSize = KvWire.MaxGrpcMessageBytes;
            o.EnableDetailedErrors = false;
        });
        services.AddGrpcChannelFactory();
        // gRPC needs HTTP/2; on cleartext loopback (h2c) Kestrel speaks it only on HTTP/2 endpoints, unless
        // configuration chooses otherwise (Kestrel:EndpointDefaults:Protocols, e.g. behind TLS).
        if (builder.Configuration["Kestrel:EndpointDefaults:Protocols"] is null)
        {
            builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
        }
        return builder;
    }

    /// <summary>Dapr service invocation when a sidecar is announced (DAPR_GRPC_PORT), direct channels otherwise.</summary>
    public static IServiceCollection AddGrpcChannelFactory(this IServiceCollection services)
    {
        services.AddSingleton<DirectGrpcChannelFactory>();
        services.AddSingleton<IGrpcChannelFactory>(sp =>
        {
            var direct = sp.GetRequiredService<DirectGrpcChannelFactory>();
            return DaprGrpcChannelFactory.SidecarEndpoint(Environment.GetEnvironmentVariable) is { } endpoint
                ? new DaprGrpcChannelFactory(endpoint, Environment.GetEnvironmentVariable("DAPR_API_TOKEN"), direct)
                : direct;
        });
        return services;
    }
}
