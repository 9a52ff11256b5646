using Microsoft.Extensions.Options;
using Platform.ChunkStore.Blending;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.PhaseSplit.Hosting;
using Wire = Platform.Contracts.Inference.V1;

namespace Platform.Prefill;

/// <summary>
/// Split mode's RAG side: turns a spec's <c>blend</c> into the engine's <see cref="BlendSpec"/>, looking the
/// chunks up in Redis under the spec's tenant (the engine then reads them layer by layer). A segment's chunk
/// id must be the key of the prompt tokens it covers under this instance's own model identity, so KV computed
/// for another model, tokenizer or dtype is never used. Under a LoRA adapter the keys carry the adapter's id, which
/// this instance derives from the spec's adapter directory itself: a blend keyed under another adapter (or the base
/// model) is not used. Redis down or slow: no blend (full prefill), counted and logged; the request is still answered.
/// </summary>
public sealed partial class ChunkBlendResolver(
    RedisChunkStore store,
    IOptions<EngineHostOptions> host,
    IOptions<EngineOptions> engine,
    IOptions<ChunkStoreOptions> chunkStore,
    ILogger<ChunkBlendResolver> logger)
{
    private readonly Lazy<ModelIdentity> _identity = new(() => ModelFingerprint.Of(host.Value.ModelPath!, engine.Value.DType, chunkStore.Value.ModelId));

    /// <summary>The blend for <paramref name="spec"/>, or null (no blend asked for, nothing usable stored, or the store is down).</summary>
    public async Task<BlendSpec?> ResolveAsync(Wire.GenerationSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Blend is not { Segments.Count: > 0 } blend || !store.IsConfigured)
        {
            return null;
        }
        if (!TenantNamespace.IsValid(blend.Tenant) || blend.RecomputeRatio is < 0 or > 1 || double.IsNaN(blend.RecomputeRatio))
        {
            throw PhaseSplit.Faults.Invalid($"the spec's blend has tenant '{blend.Tenant}' and recompute_ratio {blend.RecomputeRatio}; expected a tenant name and a ratio in [0, 1]");
        }
        var tenant = TenantNamespace.Of(blend.Tenant);
        if (AdapterIdOf(spec) is not { } adapterId || adapterId != blend.AdapterId)
        {
            LogAdapterMismatch(logger, spec.RequestId, blend.AdapterId, spec.Lora?.Name ?? "");
            return null;
        }
        var model = _identity.Value.WithAdapter(adapterId);
        var prompt = spec.PromptTokenIds;
        var keyed = new List<(int Segment, ChunkKey Key)>();
        for (int i = 0; i < blend.Segments.Count; i++)
        {
            var s = blend.Segments[i];
            if (s.ChunkId.Length == 0 || s.Start < 0 || s.Length < 1 || s.Start + s.Length > prompt.Count)
            {
                continue;
            }
            var key = ChunkKey.Compute(model, prompt.Skip(s.Start).Take(s.Length).ToArray());
            if (ChunkKey.TryParse(s.ChunkId) != key)
            {
                LogKeyMismatch(logger, spec.RequestId, s.ChunkId);
                continue;
            }
            keyed.Add((i, key));
        }
        var lookup = await store.LookupAsync(tenant, [.. keyed.Select(k => k.Key)], cancellationToken).ConfigureAwait(false);
        if (lookup.Failures > 0)
        {
            store.Metrics.RecordFallback("store_unavailable");
            LogStoreUnavailable(logger, spec.RequestId, lookup.Failures, lookup.FirstFailure ?? "");
        }
        var found = new StoredChunk?[blend.Segments.Count];
        for (int k = 0; k < keyed.Count; k++)
        {
            found[keyed[k].Segment] = lookup.Found[k];
        }
        var segments = blend.Segments.Select((s, i) => new PlannedSegment(s.Start, s.Length, found[i])).ToList();
        try
        {
            var result = ChunkBlendPlanner.Build(store, [.. prompt], segments, blend.RecomputeRatio, blend.MinCachedTokens > 0 ? blend.MinCachedTokens : null);
            if (result is not null)
            {
                store.Metrics.RecordRecomputeRatio(blend.RecomputeRatio);
            }
            return result;
        }
        catch (ArgumentException e)
        {
            throw PhaseSplit.Faults.Invalid($"the spec's blend segments are malformed: {e.Message}");
        }
    }

    /// <summary>The id of the adapter this request runs under, from its directory; "" for the base model, null when unreadable.</summary>
    private static string? AdapterIdOf(Wire.GenerationSpec spec)
    {
        if (spec.Lora is not { Path.Length: > 0 } lora)
        {
            return "";
        }
        try
        {
            return AdapterFingerprint.Of(lora.Path);
        }
        catch (Exception e) when (e is Engine.Lora.LoraAdapterException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: the blend's chunks were keyed under adapter '{BlendAdapter}', not the request's adapter '{Adapter}' as read here; full prefill")]
    private static partial void LogAdapterMismatch(ILogger logger, string requestId, string blendAdapter, string adapter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: chunk {ChunkId} is not the key of its prompt tokens under this model; computing it")]
    private static partial void LogKeyMismatch(ILogger logger, string requestId, string chunkId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: chunk store unavailable for {Failed} chunks ({Reason}); full prefill")]
    private static partial void LogStoreUnavailable(ILogger logger, string requestId, int failed, string reason);
}
