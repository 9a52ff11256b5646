using Platform.ChunkStore.Hosting;
using Platform.KvStore.Api;
using Platform.KvStore.Ingest;
using Platform.PhaseSplit.Hosting;

namespace Platform.KvStore;

/// <summary>
/// The KvStore service: the engine (<c>--model DIR</c> or <c>KvStore:ModelPath</c>, <c>Engine:*</c>) computes chunk
/// KV, the chunk store keeps it in Redis (<c>ConnectionStrings:redis</c>, <c>ChunkStore:*</c>); ingest and lookup
/// over HTTP (JSON, progress as NDJSON) and gRPC (<c>platform.kvstore.v1.KvStoreService</c>).
/// </summary>
public static class KvStoreBuilderExtensions
{
    public const string SectionName = "KvStore";

    public static WebApplicationBuilder AddKvStore(this WebApplicationBuilder builder)
    {
        builder.AddPhaseSplitEngine(SectionName);
        builder.Services.AddChunkStore();
        builder.Services.AddSingleton<KvStoreModelIdentity>();
        builder.Services.AddSingleton<DocumentIngestor>();
        builder.Services.AddSingleton<ChunkDirectory>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    public static WebApplication MapKvStore(this WebApplication app)
    {
        app.MapGrpcService<KvStoreGrpcService>();
        app.MapPost("/v1/ingest", IngestEndpoint.HandleAsync);
        app.MapPost("/v1/chunks/lookup", LookupEndpoint.HandleAsync);
        app.MapGet("/v1/chunks/{id}", LookupEndpoint.GetAsync);
        return app;
    }
}
