using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// Computes a chunk's KV the way a blend expects it: a prefill of <c>[BOS] + chunk</c> on the engine with KV
/// export, the BOS entry dropped, keys after RoPE at positions 1..n (0..n-1 for models without a BOS). With an
/// adapter (the name of one resident in the engine) the chunk is computed under it, for blends under that adapter.
/// </summary>
public static class ChunkKvComputer
{
    /// <summary>
    /// Computes the chunk's KV, stepping the engine itself until the prefill is done (safe beside a running
    /// engine loop, since steps take the engine's lock).
    /// </summary>
    public static InMemoryChunkKv Compute(LlmEngine engine, IReadOnlyList<int> chunkTokens, int? bosTokenId, ulong cacheSalt = 0, string? adapter = null)
    {
        var stream = engine.AddRequest(Request(chunkTokens, bosTokenId, cacheSalt, adapter));
        GenerationEvent? final = null;
        while (final is null)
        {
            while (stream.Events.TryRead(out var e))
            {
                final = e.IsFinal ? e : final;
            }
            if (final is null && !engine.Step() && !stream.Events.TryPeek(out _))
            {
                throw new InvalidOperationException("the engine stopped before the chunk's prefill finished");
            }
        }
        return FromFinal(final, chunkTokens.Count, bosTokenId);
    }

    /// <summary>Computes the chunk's KV on an engine whose loop runs (<see cref="LlmEngine.RunAsync"/>).</summary>
    public static async Task<InMemoryChunkKv> ComputeAsync(
        LlmEngine engine, IReadOnlyList<int> chunkTokens, int? bosTokenId, ulong cacheSalt = 0, string? adapter = null, CancellationToken cancellationToken = default)
    {
        using var kv = await SnapshotAsync(engine, Request(chunkTokens, bosTokenId, cacheSalt, adapter), cancellationToken).ConfigureAwait(false);
        return FromSnapshot(kv, chunkTokens.Count, bosTokenId);
    }

    /// <summary>
    /// The prefill of <c>[BOS] + chunk</c> (greedy, one token, end of sequence ignored) that exports its KV; under
    /// <paramref name="adapter"/>, loaded from <paramref name="adapterPath"/> when not resident.
    /// </summary>
    public static GenerationRequest Request(
        IReadOnlyList<int> chunkTokens, int? bosTokenId, ulong cacheSalt = 0, string? adapter = null, string? adapterPath = null)
    {
        if (chunkTokens.Count == 0)
        {
            throw new ArgumentException("the chunk is empty", nameof(chunkTokens));
        }
        IReadOnlyList<int> prompt = bosTokenId is { } bos ? [bos, .. chunkTokens] : chunkTokens;
        return new GenerationRequest($"chunk-kv-{Guid.NewGuid():N}", prompt, SamplingParams.Greedy(1) with { IgnoreEos = true })
        {
            CacheSalt = cacheSalt,
            Adapter = adapter,
            AdapterPath = adapterPath,
            ExportKv = true,
        };
    }

    /// <summary>
    /// Runs <paramref name="request"/> (from <see cref="Request"/>) on an engine whose loop runs and returns the KV its
    /// final event exported (the caller disposes it); cancels the request if it does not get that far.
    /// </summary>
    public static async Task<KvSnapshot> SnapshotAsync(LlmEngine engine, GenerationRequest request, CancellationToken cancellationToken)
    {
        var stream = engine.AddRequest(request);
        bool finished = false;
        try
        {
            await foreach (var e in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (e.IsFinal)
                {
                    finished = true;
                    return e.Kv ?? throw new InvalidOperationException($"the chunk's prefill ended without KV ({e.Finish}: {e.Error})");
                }
            }
            throw new InvalidOperationException("the chunk's prefill ended without a final event");
        }
        finally
        {
            if (!finished)
            {
                engine.Cancel(request.RequestId);
            }
        }
    }

    private static InMemoryChunkKv FromFinal(GenerationEvent final, int chunkLength, int? bosTokenId)
    {
        using var kv = final.Kv ?? throw new InvalidOperationException($"the chunk's prefill ended without KV ({final.Finish}: {final.Error})");
        return FromSnapshot(kv, chunkLength, bosTokenId);
    }

    private static InMemoryChunkKv FromSnapshot(KvSnapshot kv, int chunkLength, int? bosTokenId)
    {
        int skip = bosTokenId is null ? 0 : 1;
        var layers = kv.Layers
            .Select(l => new ChunkKvLayer(l.Keys.narrow(0, skip, chunkLength).clone(), l.Values.narrow(0, skip, chunkLength).clone()))
            .ToArray();
        return new InMemoryChunkKv(layers, skip);
    }
}
