namespace Platform.ChunkStore.Keys;

/// <summary>
/// The LoRA adapter chunk KV is computed under: its name in the engine (<c>{tenant}/{name}</c> for a tenant's own),
/// its PEFT directory (loaded from there when not resident) and the adapter id its chunk keys carry.
/// </summary>
public sealed record ChunkAdapter(string EngineName, string Path, string Id)
{
    /// <summary>The adapter with its id fingerprinted from <paramref name="path"/>.</summary>
    public static ChunkAdapter Of(string engineName, string path) => new(engineName, path, AdapterFingerprint.Of(path));
}
