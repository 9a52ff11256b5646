using Platform.ChunkStore.Hosting;

namespace Platform.Gateway.Rag;

/// <summary>The Gateway's RAG request side: the chunk store (<c>ConnectionStrings:redis</c>, <c>ChunkStore:*</c>), tenants, the planner, write-back.</summary>
public static class RagBuilderExtensions
{
    public static IHostApplicationBuilder AddGatewayRag(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddChunkStore();
        services.AddSingleton<TenantResolver>();
        services.AddSingleton<GatewayModelIdentity>();
        services.AddSingleton<RagMetrics>();
        services.AddSingleton<ChunkWriteBack>();
        services.AddSingleton<RagPlanner>();
        return builder;
    }
}
