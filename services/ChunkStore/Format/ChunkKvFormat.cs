using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Platform.Engine.Blending;

namespace Platform.ChunkStore.Format;

/// <summary>
/// The binary format of a stored chunk's KV, version 1 (ChunkKvFormat.md next to this file): a header with
/// its own CRC-32, then each layer's K and V with a CRC-32 per layer, at offsets the header lists, so a
/// reader fetches the header and then one layer at a time (Redis GETRANGE). Little-endian throughout.
/// Anything that does not check out is a <see cref="ChunkKvUnavailableException"/>: the caller falls back.
/// </summary>
public static class ChunkKvFormat
{
    public const ushort Version = 1;

    /// <summary>Keys are stored after RoPE in the HF rotate_half layout, at positions FirstPosition.. onwards.</summary>
    public const string RotateHalfRopeMode = "rotate_half";

    /// <summary>Bytes before the variable part; enough to learn the header's length.</summary>
    public const int FixedHeaderBytes = 38;

    /// <summary>What a reader fetches first: covers the header of any chunk up to ~1900 tokens in one round trip.</summary>
    public const int HeaderProbeBytes = 8192;

    private const int MaxHeaderBytes = 1 << 22;
    private const int LayerEntryBytes = 16;
    private static ReadOnlySpan<byte> Magic => "PCKV"u8;

    public static int HeaderLength(int numLayers, int numTokens, string ropeMode) =>
        FixedHeaderBytes + Encoding.UTF8.GetByteCount(ropeMode) + (4 * numTokens) + (LayerEntryBytes * numLayers) + 4;

    /// <summary>
    /// Lays out a value: <paramref name="layer"/> writes layer l's K then V bytes (2 x TensorBytes) into the span it is given.
    /// </summary>
    public static byte[] Write(ChunkKvHeaderShape shape, SpanAction layer)
    {
        int headerLength = HeaderLength(shape.NumLayers, shape.TokenIds.Count, shape.RopeMode);
        int tensorBytes = shape.TokenIds.Count * shape.NumKvHeads * shape.HeadDim * ChunkDType.ElementSize(shape.DType);
        long total = headerLength + (2L * tensorBytes * shape.NumLayers);
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"a chunk of {shape.TokenIds.Count} tokens needs {total} bytes, more than one value can hold");
        }
        var value = new byte[total];
        var span = value.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], headerLength);
        span[12] = ChunkDType.Code(shape.DType);
        span[13] = (byte)ChunkDType.ElementSize(shape.DType);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], shape.NumLayers);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], shape.TokenIds.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], shape.NumKvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], shape.HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], shape.FirstPosition);
        int ropeBytes = Encoding.UTF8.GetBytes(shape.RopeMode, span[38..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[36..], (ushort)ropeBytes);
        int at = FixedHeaderBytes + ropeBytes;
        foreach (int id in shape.TokenIds)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], id);
            at += 4;
        }
        int entries = at;
        long offset = headerLength;
        for (int l = 0; l < shape.NumLayers; l++)
        {
            var payload = span.Slice((int)offset, 2 * tensorBytes);
            layer(l, payload);
            BinaryPrimitives.WriteInt64LittleEndian(span[(entries + (l * LayerEntryBytes))..], offset);
            BinaryPrimitives.WriteInt32LittleEndian(span[(entries + (l * LayerEntryBytes) + 8)..], payload.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(entries + (l * LayerEntryBytes) + 12)..], Crc32.HashToUInt32(payload));
            offset += payload.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[(headerLength - 4)..], Crc32.HashToUInt32(span[..(headerLength - 4)]));
        return value;
    }

    /// <summary>The header's length from its first <see cref="FixedHeaderBytes"/> bytes.</summary>
    public static int ReadHeaderLength(ReadOnlySpan<byte> prefix, string what)
    {
        if (prefix.Length < FixedHeaderBytes)
        {
            throw Unavailable(what, $"truncated: {prefix.Length} bytes, shorter than the fixed header");
        }
        if (!prefix[..4].SequenceEqual(Magic))
        {
            throw Unavailable(what, "not a chunk KV value (bad magic)");
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(prefix[4..]);
        if (version != Version)
        {
            throw Unavailable(what, $"format version {version}; this reader knows {Version}");
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix[8..]);
        if (length is < FixedHeaderBytes + 4 or > MaxHeaderBytes)
        {
            throw Unavailable(what, $"header length {length} is out of range");
        }
        return length;
    }

    /// <summary>Parses and checks a header (its CRC and that its layer table is consistent).</summary>
    public static ChunkKvHeader ReadHeader(ReadOnlySpan<byte> bytes, string what)
    {
        int length = ReadHeaderLength(bytes, what);
        if (bytes.Length < length)
        {
            throw Unavailable(what, $"truncated header: {bytes.Length} of {length} bytes");
        }
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(length - 4)..]);
        if (Crc32.HashToUInt32(bytes[..(length - 4)]) != crc)
        {
            throw Unavailable(what, "the header fails its checksum");
        }
        ChunkKvHeader header;
        try
        {
            header = Parse(bytes[..length]);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            throw Unavailable(what, $"malformed header: {e.Message}");
        }
        long expected = length;
        int layerBytes = 2 * header.TensorBytes;
        foreach (var entry in header.Layers)
        {
            if (entry.Offset != expected || entry.Length != layerBytes)
            {
                throw Unavailable(what, $"layer table inconsistent at offset {entry.Offset} (expected {expected}, {layerBytes} bytes)");
            }
            expected += entry.Length;
        }
        return header;
    }

    /// <summary>Checks one layer's bytes against the header (length, CRC-32); throws when they do not match.</summary>
    public static void CheckLayer(ChunkKvHeader header, int layer, ReadOnlySpan<byte> payload, string what)
    {
        var entry = header.Layers[layer];
        if (payload.Length != entry.Length)
        {
            throw Unavailable(what, $"layer {layer} truncated: {payload.Length} of {entry.Length} bytes");
        }
        if (Crc32.HashToUInt32(payload) != entry.Crc32)
        {
            throw Unavailable(what, $"layer {layer} fails its checksum");
        }
    }

    private static ChunkKvHeader Parse(ReadOnlySpan<byte> span)
    {
        var dtype = ChunkDType.FromCode(span[12]);
        if (span[13] != ChunkDType.ElementSize(dtype))
        {
            throw new FormatException($"element size {span[13]} does not match dtype {dtype}");
        }
        int layers = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        int tokens = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        int heads = BinaryPrimitives.ReadInt32LittleEndian(span[24..]);
        int dim = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
        int first = BinaryPrimitives.ReadInt32LittleEndian(span[32..]);
        int ropeBytes = BinaryPrimitives.ReadUInt16LittleEndian(span[36..]);
        if (layers < 1 || tokens < 1 || heads < 1 || dim < 1 || first < 0
            || HeaderLengthFor(layers, tokens, ropeBytes) != span.Length)
        {
            throw new FormatException($"shape {layers} layers x {tokens} tokens x {heads} heads x {dim} does not fit a {span.Length}-byte header");
        }
        string rope = Encoding.UTF8.GetString(span.Slice(FixedHeaderBytes, ropeBytes));
        int at = FixedHeaderBytes + ropeBytes;
        var ids = new int[tokens];
        for (int i = 0; i < tokens; i++, at += 4)
        {
            ids[i] = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        }
        var entries = new ChunkLayerEntry[layers];
        for (int l = 0; l < layers; l++, at += LayerEntryBytes)
        {
            entries[l] = new ChunkLayerEntry(
                BinaryPrimitives.ReadInt64LittleEndian(span[at..]),
                BinaryPrimitives.ReadInt32LittleEndian(span[(at + 8)..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 12)..]));
        }
        return new ChunkKvHeader(dtype, layers, heads, dim, first, rope, ids, entries);
    }

    private static long HeaderLengthFor(int layers, int tokens, int ropeBytes) =>
        FixedHeaderBytes + ropeBytes + (4L * tokens) + ((long)LayerEntryBytes * layers) + 4;

    private static ChunkKvUnavailableException Unavailable(string what, string why) => new($"chunk {what}: {why}");

    /// <summary>Fills layer <paramref name="layer"/>'s payload (K bytes then V bytes).</summary>
    public delegate void SpanAction(int layer, Span<byte> payload);
}
