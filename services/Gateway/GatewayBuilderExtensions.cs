using Microsoft.Extensions.Options;
using Platform.Engine.Configuration;
using Platform.Gateway.Backend;
using Platform.Gateway.Configuration;
using Platform.Gateway.Endpoints;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Gateway.Metrics;

namespace Platform.Gateway;

/// <summary>Registers and maps the Gateway's parts: the OpenAI API, its backend, its metrics.</summary>
public static class GatewayBuilderExtensions
{
    public const string ReadinessCheckName = "model";

    /// <summary>The OpenAI-compatible API; a backend is added separately (<see cref="AddLocalEngineBackend"/> for all-in-one).</summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<EngineStatsMetrics>();
        services.AddSingleton<ServedModel>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<ChatPromptBuilder>();
        services.AddSingleton<ApiKeyFilter>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        services.AddSingleton<CompletionsEndpoint>();
        services.AddHealthChecks().AddCheck<BackendHealthCheck>(ReadinessCheckName);
        return builder;
    }

    /// <summary>All-in-one: the engine runs in this process (<c>Gateway:ModelPath</c>, <c>Engine:*</c>).</summary>
    public static IHostApplicationBuilder AddLocalEngineBackend(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<GatewayOptions>, LocalModelOptionsValidator>();
        services.AddOptions<EngineOptions>().BindConfiguration("Engine").ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddSingleton<LocalEngineBackend>();
        services.AddSingleton<IGenerationBackend>(sp => sp.GetRequiredService<LocalEngineBackend>());
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
        return app;
    }
}
