using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Platform.ChunkStore.Keys;

/// <summary>
/// A chunk's content address: SHA-256 over the model identity (model id, tokenizer id, dtype, adapter id,
/// each length-prefixed) and the chunk's token ids (count, then int32 little-endian each). Its lowercase hex
/// is the chunk id clients see; the Redis key puts it under a tenant namespace.
/// </summary>
public readonly record struct ChunkKey(string Id)
{
    public const int IdLength = 64;

    public static ChunkKey Compute(ModelIdentity model, ReadOnlySpan<int> tokenIds)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[4];
        foreach (var field in (ReadOnlySpan<string>)["platform.chunkkv.v1", model.ModelId, model.TokenizerId, model.DType, model.AdapterId])
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32LittleEndian(number, bytes.Length);
            hash.AppendData(number);
            hash.AppendData(bytes);
        }
        BinaryPrimitives.WriteInt32LittleEndian(number, tokenIds.Length);
        hash.AppendData(number);
        foreach (int id in tokenIds)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, id);
            hash.AppendData(number);
        }
        return new ChunkKey(Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>A chunk id as a client sent it, or null when it is not 64 hex digits.</summary>
    public static ChunkKey? TryParse(string? id) =>
        id is { Length: IdLength } && id.All(char.IsAsciiHexDigit) ? new ChunkKey(id.ToLowerInvariant()) : null;

    public override string ToString() => Id;
}
