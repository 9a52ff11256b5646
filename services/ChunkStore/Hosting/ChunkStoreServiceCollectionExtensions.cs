using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.ChunkStore.Computing;
using Platform.ChunkStore.Redis;

namespace Platform.ChunkStore.Hosting;

/// <summary>Registers the chunk store: options (<c>ChunkStore:*</c>, validated at start), the Redis connection, metrics.</summary>
public static class ChunkStoreServiceCollectionExtensions
{
    public static IServiceCollection AddChunkStore(this IServiceCollection services)
    {
        services.AddOptions<ChunkStoreOptions>()
            .BindConfiguration(ChunkStoreOptions.SectionName)
            .Validate(o => o.Ttl > TimeSpan.Zero, "ChunkStore:Ttl (ChunkStore__Ttl) must be positive, e.g. 7.00:00:00")
            .Validate(o => o.ReadTimeout > TimeSpan.Zero, "ChunkStore:ReadTimeout (ChunkStore__ReadTimeout) must be positive, e.g. 00:00:02")
            .Validate(o => o.WriteTimeout > TimeSpan.Zero, "ChunkStore:WriteTimeout (ChunkStore__WriteTimeout) must be positive, e.g. 00:00:10")
            .Validate(o => o.MaxChunkBytes > 0, "ChunkStore:MaxChunkBytes (ChunkStore__MaxChunkBytes) must be positive")
            .Validate(o => o.MaxDirectReads >= 1, "ChunkStore:MaxDirectReads (ChunkStore__MaxDirectReads) must be at least 1")
            .Validate(o => o.MaxStoreBytes >= 0, "ChunkStore:MaxStoreBytes (ChunkStore__MaxStoreBytes) must be 0 (no limit) or positive")
            .Validate(o => o.ChunkTokens is >= DocumentChunker.MinChunkTokens and <= DocumentChunker.MaxChunkTokens,
                $"ChunkStore:ChunkTokens (ChunkStore__ChunkTokens) must be in [{DocumentChunker.MinChunkTokens}, {DocumentChunker.MaxChunkTokens}]")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<ChunkStoreMetrics>();
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisChunkStore>();
        services.TryAddSingleton<ChunkIngestor>();
        return services;
    }
}
