using Microsoft.Extensions.Options;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.Engine.Configuration;
using Platform.PhaseSplit.Hosting;

namespace Platform.KvStore.Ingest;

/// <summary>The loaded model's identity for chunk keys (as the Gateway and Prefill derive theirs), computed once.</summary>
public sealed class KvStoreModelIdentity(IOptions<EngineHostOptions> host, IOptions<EngineOptions> engine, IOptions<ChunkStoreOptions> chunkStore)
{
    private readonly Lazy<ModelIdentity> _identity = new(() => ModelFingerprint.Of(host.Value.ModelPath!, engine.Value.DType, chunkStore.Value.ModelId));

    public ModelIdentity Value => _identity.Value;
}
