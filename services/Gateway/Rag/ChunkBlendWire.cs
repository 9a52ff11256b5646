using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using Wire = Platform.Contracts.Inference.V1;

namespace Platform.Gateway.Rag;

/// <summary>
/// A blend as it travels to Prefill in Split mode: the tenant, the ratio and each segment with the id of the
/// stored chunk it reuses, and the adapter id the chunk keys were computed under (from the request's adapter
/// directory). Prefill looks the chunks up again itself and streams their layers from Redis.
/// </summary>
internal static class ChunkBlendWire
{
    public static Wire.ChunkBlend? ToWire(BlendSpec? blend, string? adapterPath)
    {
        if (blend is null || blend.Segments.FirstOrDefault(s => s.Cached is RedisChunkKvSource)?.Cached is not RedisChunkKvSource first)
        {
            return null;
        }
        var wire = new Wire.ChunkBlend
        {
            Tenant = first.Namespace.Tenant,
            RecomputeRatio = blend.RecomputeRatio,
            MinCachedTokens = blend.MinCachedTokens,
            AdapterId = adapterPath is null ? "" : AdapterFingerprint.Of(adapterPath),
        };
        foreach (var segment in blend.Segments)
        {
            wire.Segments.Add(new Wire.BlendSegment
            {
                Start = segment.Start,
                Length = segment.Length,
                ChunkId = segment.Cached is RedisChunkKvSource source ? source.Key.Id : "",
            });
        }
        return wire;
    }
}
