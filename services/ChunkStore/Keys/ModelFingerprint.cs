using System.Security.Cryptography;

namespace Platform.ChunkStore.Keys;

/// <summary>
/// Derives a model's identity from its Hugging Face directory, the same way in every service (the Gateway,
/// Prefill and the KvStore must agree on keys): the model id hashes config.json and, per safetensors file,
/// its name, size, header (tensor names, shapes, offsets) and the first and last 1 MiB of its data; the
/// tokenizer id hashes tokenizer.json. Cheap for any checkpoint size; <c>ChunkStore:ModelId</c> overrides.
/// </summary>
public static class ModelFingerprint
{
    private const int SampleBytes = 1 << 20;

    public static ModelIdentity Of(string directory, string dtype, string? modelIdOverride = null)
    {
        string modelId = string.IsNullOrWhiteSpace(modelIdOverride) ? ModelId(directory) : modelIdOverride;
        return new ModelIdentity(modelId, FileHash(Path.Combine(directory, "tokenizer.json")), dtype);
    }

    public static string ModelId(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(Path.Combine(directory, "config.json")));
        foreach (var file in Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}:{stream.Length}"));
            var buffer = new byte[(int)Math.Min(stream.Length, SampleBytes)];
            stream.ReadExactly(buffer);
            hash.AppendData(buffer);
            if (stream.Length > SampleBytes)
            {
                stream.Seek(-Math.Min(stream.Length - SampleBytes, SampleBytes), SeekOrigin.End);
                int tail = (int)Math.Min(stream.Length - SampleBytes, SampleBytes);
                buffer = new byte[tail];
                stream.ReadExactly(buffer);
                hash.AppendData(buffer);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private static string FileHash(string path) =>
        File.Exists(path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..32] : "none";
}
