using Platform.ChunkStore.Keys;
using Platform.Engine.Blending;

namespace Platform.Gateway.Rag;

/// <summary>
/// A RAG request's prompt: token ids assembled from segments (prefix, chunks, question), the engine's blend
/// over them (null when no chunk was in the store: a plain prefill) and the tenant whose chunks it used.
/// </summary>
internal sealed record RagPrompt(int[] PromptTokenIds, BlendSpec? Blend, TenantNamespace Tenant, RagMetrics Metrics)
{
    public bool Reuses => Blend is not null;

    public void OnFirstToken(TimeSpan elapsed) => Metrics.RecordTimeToFirstToken(elapsed, Reuses);
}
