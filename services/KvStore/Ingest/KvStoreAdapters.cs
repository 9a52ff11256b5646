using Platform.ChunkStore.Keys;
using Platform.Engine.Lora;
using Platform.Engine.Serving;

namespace Platform.KvStore.Ingest;

/// <summary>
/// Which LoRA adapter an ingest computes under. The request names the adapter as it is served to its tenant and
/// (at least the first time) its PEFT directory, as Prefill and Decode get adapters from a request's spec. The
/// KvStore's engine holds it as <c>{tenant}/{name}</c>, the Gateway's engine name for a tenant's own adapter:
/// a name cannot hold '/', so one tenant's ingest can only ever reach adapters loaded for that tenant. The chunk
/// keys carry the adapter's content fingerprint, the id the Gateway and Prefill derive from the same directory.
/// </summary>
public static class KvStoreAdapters
{
    public const int MaxNameLength = 100;

    /// <summary>The adapter to compute under, loaded when a path is given; null for none. Throws <see cref="ArgumentException"/> for bad input.</summary>
    public static ChunkAdapter? Resolve(LlmEngine engine, TenantNamespace tenant, string name, string path)
    {
        if (name.Length == 0)
        {
            return path.Length == 0 ? null : throw new ArgumentException("adapter_path is given without adapter: name the adapter as it is served");
        }
        if (name.Length > MaxNameLength || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"adapter '{name}': the name it is served as, 1 to {MaxNameLength} characters without whitespace or '/'");
        }
        string engineName = $"{tenant.Tenant}/{name}";
        try
        {
            if (path.Length == 0)
            {
                path = engine.Adapters.List().FirstOrDefault(a => a.Name == engineName)?.Path
                    ?? throw new ArgumentException(
                        $"adapter '{name}' is not loaded in this KvStore for tenant '{tenant.Tenant}'; give adapter_path (its PEFT directory) to load it");
            }
            else
            {
                // Loaded now, so a bad directory is refused before any chunk is computed; each chunk acquires it again.
                engine.Adapters.Release(engine.Adapters.AcquireOrLoad(engineName, path));
            }
            return ChunkAdapter.Of(engineName, path);
        }
        catch (LoraAdapterException e)
        {
            throw new ArgumentException($"adapter '{name}': {e.Message}", e);
        }
    }
}
