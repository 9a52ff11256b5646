using System.Collections.Concurrent;
using System.Security.Cryptography;
using Platform.Engine.Lora;

namespace Platform.ChunkStore.Keys;

/// <summary>
/// The adapter id chunk keys carry for KV computed under a LoRA adapter: <c>lora-</c> and the first 32 hex digits
/// of SHA-256 over the PEFT directory's <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>. It is the
/// adapter's content, not its name, so every service that can read the directory (the Gateway, Prefill, the KvStore)
/// derives the same id without loading weights, and an adapter reloaded under the same name with other weights
/// never reuses the old adapter's chunks. Hashed once per file version (path, size, modification time).
/// </summary>
public static class AdapterFingerprint
{
    public const string Prefix = "lora-";

    private static readonly ConcurrentDictionary<string, (FileStamp Config, FileStamp Weights, string Id)> Cache = new(StringComparer.Ordinal);

    /// <summary>The adapter id of the PEFT directory; throws <see cref="LoraAdapterException"/> when its files are missing.</summary>
    public static string Of(string directory)
    {
        var full = Path.GetFullPath(directory);
        var config = Stamp(Path.Combine(full, "adapter_config.json"));
        var weights = Stamp(Path.Combine(full, "adapter_model.safetensors"));
        if (Cache.TryGetValue(full, out var cached) && cached.Config == config && cached.Weights == weights)
        {
            return cached.Id;
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in new[] { config.Path, weights.Path })
        {
            using var stream = File.OpenRead(file);
            hash.AppendData(BitConverter.GetBytes(stream.Length));
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        string id = Prefix + Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
        Cache[full] = (config, weights, id);
        return id;
    }

    private static FileStamp Stamp(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new LoraAdapterException($"LoRA adapter file {path} not found");
        }
        return new FileStamp(path, info.Length, info.LastWriteTimeUtc);
    }

    private readonly record struct FileStamp(string Path, long Length, DateTime Modified);
}
