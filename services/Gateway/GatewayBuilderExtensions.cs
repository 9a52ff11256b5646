using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.Gateway.Backend;
using Platform.Gateway.Bus;
using Platform.Gateway.Bus.Local;
using Platform.Gateway.Configuration;
using Platform.Gateway.Endpoints;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Gateway.Metrics;
using Platform.Gateway.Rag;
using Platform.Gateway.Routing;
using Platform.PhaseSplit.Hosting;

namespace Platform.Gateway;

/// <summary>Registers and maps the Gateway's parts: the OpenAI API, its backend, its metrics.</summary>
public static class GatewayBuilderExtensions
{
    public const string ReadinessCheckName = "model";

    /// <summary>The OpenAI-compatible API; a backend is added separately (<see cref="AddGatewayBackend"/> chooses by <c>Gateway:Mode</c>).</summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<EngineStatsMetrics>();
        services.AddSingleton<ServedModel>();
        services.AddSingleton<Adapters.AdapterCatalog>();
        services.AddSingleton<ModelResolver>();
        services.AddSingleton<LoraAdminEndpoint>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<ChatPromptBuilder>();
        services.AddSingleton<ApiKeyFilter>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        services.AddSingleton<CompletionsEndpoint>();
        services.AddHealthChecks().AddCheck<BackendHealthCheck>(ReadinessCheckName);
        builder.AddGatewayRag();
        return builder;
    }

    /// <summary>The backend <c>Gateway:Mode</c> names: Local (the default, <see cref="AddLocalEngineBackend"/>) or Split (<see cref="AddSplitBackend"/>).</summary>
    public static IHostApplicationBuilder AddGatewayBackend(this IHostApplicationBuilder builder)
    {
        var key = $"{GatewayOptions.SectionName}:{nameof(GatewayOptions.Mode)}";
        var mode = builder.Configuration[key];
        if (string.IsNullOrWhiteSpace(mode) || string.Equals(mode, nameof(GatewayMode.Local), StringComparison.OrdinalIgnoreCase))
        {
            return builder.AddLocalEngineBackend();
        }
        if (string.Equals(mode, nameof(GatewayMode.Split), StringComparison.OrdinalIgnoreCase))
        {
            return builder.AddSplitBackend();
        }
        throw new InvalidOperationException($"{key} (Gateway__Mode) must be Local or Split, got '{mode}'");
    }

    /// <summary>
    /// Phase split: the router (<c>Gateway:Routing:*</c>) over the Prefill and Decode instances of
    /// <c>Gateway:Prefill:Instances</c> and <c>Gateway:Decode:Instances</c>, polled for load; the model directory
    /// (<c>Gateway:ModelPath</c>) gives only the tokenizer and config.
    /// </summary>
    public static IHostApplicationBuilder AddSplitBackend(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<GatewayOptions>, LocalModelOptionsValidator>();
        services.AddOptions<ClusterOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>();
        // Dapr service invocation when a sidecar is announced (DAPR_GRPC_PORT), direct channels otherwise.
        PhaseSplit.Hosting.PhaseSplitHostExtensions.AddGrpcChannelFactory(services);
        services.AddSingleton<InstanceRegistry>();
        services.AddSingleton<ClusterRouter>();
        services.AddSingleton<SplitMetrics>();
        services.AddSingleton<LoadPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<LoadPoller>());
        // Gateway:Dispatch Bus: through the request bus (Bus:Kind) instead of direct Prefill calls.
        if (BusDispatchHostExtensions.DispatchModeOf(builder.Configuration, GatewayMode.Split) == DispatchMode.Bus)
        {
            RequireDurableBus(builder.Configuration);
        }
        builder.AddBusDispatch(GatewayMode.Split);
        services.AddSingleton<SplitBackend>();
        services.AddSingleton<IGenerationBackend>(sp => sp.GetRequiredService<SplitBackend>());
        services.AddSingleton<Adapters.IAdapterHost, Adapters.SplitAdapterHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SplitBackend>());
        services.AddHealthChecks().AddCheck<InstancesHealthCheck>("instances");
        return builder;
    }

    /// <summary>Split mode's prefill workers are other processes: an in-process bus would have no consumer and every request would wait out its deadline.</summary>
    private static void RequireDurableBus(IConfiguration configuration)
    {
        string key = $"{Platform.RequestBus.BusOptions.SectionName}:{nameof(Platform.RequestBus.BusOptions.Kind)}";
        var kind = configuration[key];
        if (string.IsNullOrWhiteSpace(kind) || string.Equals(kind, nameof(Platform.RequestBus.BusKind.InProcess), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Gateway:Mode Split with Gateway:Dispatch Bus needs a bus the Prefill workers can reach: set {key} (Bus__Kind) to RedisStreams or Kafka " +
                $"(it is '{kind ?? "InProcess (the default)"}'), or use Gateway:Dispatch Direct.");
        }
    }

    /// <summary>All-in-one: the engine runs in this process (<c>Gateway:ModelPath</c>, <c>Engine:*</c>).</summary>
    public static IHostApplicationBuilder AddLocalEngineBackend(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<GatewayOptions>, LocalModelOptionsValidator>();
        services.AddOptions<EngineOptions>().BindConfiguration("Engine").ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton<LocalEngineBackend>();
        if (BusDispatchHostExtensions.DispatchModeOf(builder.Configuration, GatewayMode.Local) == DispatchMode.Bus)
        {
            // Gateway:Dispatch Bus (the all-in-one default): every request through the in-process bus, then this engine.
            builder.AddLocalBusDispatch();
        }
        else
        {
            services.AddSingleton<IGenerationBackend>(sp => sp.GetRequiredService<LocalEngineBackend>());
        }
        services.AddSingleton<Adapters.IAdapterHost>(sp => sp.GetRequiredService<LocalEngineBackend>());
        services.AddHostedService(sp => sp.GetRequiredService<LocalEngineBackend>());
        return builder;
    }

    /// <summary>Maps <c>/v1/models</c>, <c>/v1/completions</c> and <c>/v1/chat/completions</c> behind API keys and OpenAI-shaped errors.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        // Observable engine gauges exist from the start, not from the first request that resolves them.
        app.Services.GetRequiredService<EngineStatsMetrics>();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal),
            branch => branch.UseMiddleware<OpenAiErrorMiddleware>());
        var v1 = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        v1.MapGet("/models", ModelsEndpoint.List);
        v1.MapGet("/models/{id}", ModelsEndpoint.Get);
        v1.MapPost("/completions", (HttpContext c, CompletionsEndpoint e) => e.HandleAsync(c));
        v1.MapPost("/chat/completions", (HttpContext c, ChatCompletionsEndpoint e) => e.HandleAsync(c));
        v1.MapPost("/load_lora_adapter", (HttpContext c, LoraAdminEndpoint e) => e.LoadAsync(c));
        v1.MapPost("/unload_lora_adapter", (HttpContext c, LoraAdminEndpoint e) => e.UnloadAsync(c));
        return app;
    }
}
