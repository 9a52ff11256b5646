using Platform.Finetune.Endpoints;
using Platform.Finetune.Files;
using Platform.Finetune.Jobs;
using Platform.Finetune.Placement;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Hosting;

/// <summary>
/// Adds the fine-tuning service to a Gateway (after <c>AddGatewayBackend</c>): in Local mode jobs train in its
/// engine; in Split mode each job is placed on a Decode instance and trains co-served there.
/// </summary>
public static class FinetuneBuilderExtensions
{
    public static IHostApplicationBuilder AddFinetune(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var mode = builder.Configuration["Gateway:Mode"];
        if (string.IsNullOrWhiteSpace(mode) || string.Equals(mode, "Local", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFineTuningModel, LocalFineTuningModel>();
            services.AddSingleton<IJobExecutor, LocalJobExecutor>();
        }
        else if (string.Equals(mode, "Split", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IFineTuningModel, SplitFineTuningModel>();
            services.AddSingleton<DecodePlacement>();
            services.AddSingleton<IJobExecutor, DecodeJobExecutor>();
        }
        else
        {
            throw new InvalidOperationException($"Gateway:Mode (Gateway__Mode) must be Local or Split, got '{mode}'");
        }
        services.AddOptions<FinetuneOptions>().BindConfiguration(FinetuneOptions.SectionName)
            .Validate(o => o.CheckpointEverySteps >= 1 && o.MaxForwardTokens >= 1 && o.MaxBackwardLayers >= 1 && o.MaxFileBytes >= 1 && !string.IsNullOrWhiteSpace(o.DataPath),
                "Finetune: CheckpointEverySteps, MaxForwardTokens, MaxBackwardLayers and MaxFileBytes must be at least 1, and DataPath set")
            .Validate(o => o.PlacementTimeout > TimeSpan.Zero, "Finetune:PlacementTimeout (Finetune__PlacementTimeout) must be positive, e.g. 00:10:00")
            .Validate(o => o.MaxInferenceSlowdown >= 0 && double.IsFinite(o.MaxInferenceSlowdown) && o.TargetIterationMs >= 0 && double.IsFinite(o.TargetIterationMs),
                "Finetune: MaxInferenceSlowdown (a share, e.g. 0.1) and TargetIterationMs (0 for no cap) must be finite and at least 0")
            .ValidateOnStart();
        services.AddSingleton<FileStore>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<TrainingDataParser>();
        services.AddSingleton<FinetuneMetrics>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton<FilesEndpoints>();
        services.AddSingleton<JobsEndpoints>();
        return builder;
    }

    /// <summary>Maps <c>/v1/files</c> and <c>/v1/fine_tuning/jobs</c> behind the Gateway's API keys (call after <c>MapGateway</c>).</summary>
    public static WebApplication MapFinetune(this WebApplication app)
    {
        app.Services.GetRequiredService<FinetuneMetrics>();
        var v1 = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        v1.MapPost("/files", (HttpContext c, FilesEndpoints e) => e.UploadAsync(c)).DisableAntiforgery();
        v1.MapGet("/files", (HttpContext c, FilesEndpoints e) => e.List(c));
        v1.MapGet("/files/{id}", (HttpContext c, string id, FilesEndpoints e) => e.Get(c, id));
        v1.MapDelete("/files/{id}", (HttpContext c, string id, FilesEndpoints e) => e.Delete(c, id));
        v1.MapPost("/fine_tuning/jobs", (HttpContext c, JobsEndpoints e) => e.CreateAsync(c));
        v1.MapGet("/fine_tuning/jobs", (HttpContext c, string? after, int? limit, JobsEndpoints e) => e.List(c, after, limit));
        v1.MapGet("/fine_tuning/jobs/{id}", (HttpContext c, string id, JobsEndpoints e) => e.Get(c, id));
        v1.MapPost("/fine_tuning/jobs/{id}/cancel", (HttpContext c, string id, JobsEndpoints e) => e.Cancel(c, id));
        v1.MapGet("/fine_tuning/jobs/{id}/events", (HttpContext c, string id, string? after, int? limit, JobsEndpoints e) => e.Events(c, id, after, limit));
        return app;
    }
}
