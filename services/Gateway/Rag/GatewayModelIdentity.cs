using Microsoft.Extensions.Options;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.Gateway.Configuration;

namespace Platform.Gateway.Rag;

/// <summary>
/// The served model's identity for chunk keys, derived from <c>Gateway:ModelPath</c> and <c>Engine:DType</c>
/// exactly as Prefill and the KvStore derive theirs (so all three agree on keys); computed once, on first use.
/// </summary>
internal sealed class GatewayModelIdentity(IOptions<GatewayOptions> gateway, IOptions<ChunkStoreOptions> chunkStore, IConfiguration configuration)
{
    private readonly Lazy<ModelIdentity> _identity = new(() => ModelFingerprint.Of(
        gateway.Value.ModelPath!, configuration["Engine:DType"] ?? "float32", chunkStore.Value.ModelId));

    public ModelIdentity Value => _identity.Value;
}
