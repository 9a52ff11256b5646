namespace Platform.Engine.Blending;

/// <summary>
/// A retrieved chunk whose KV was computed ahead of time (by the KvStore: prefill of <c>[BOS] + chunk</c>
/// with the BOS entry dropped), readable layer by layer so that loading layer l+1 overlaps the recompute
/// of layer l. Implementations: Redis (services/KvStore), in memory (tests).
/// </summary>
public interface IChunkKvSource
{
    /// <summary>Tokens in the chunk; equals the length of the prompt segment it stands for.</summary>
    int TokenCount { get; }

    /// <summary>The absolute position of the chunk's first token when its KV was computed (1 after a BOS).</summary>
    int FirstPosition { get; }

    /// <summary>
    /// Loads one layer. Fails with <see cref="ChunkKvUnavailableException"/> when the store is down, slow or
    /// returns a value that fails its checksum; the blend then falls back to a full prefill.
    /// </summary>
    Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken);
}
