using System.Globalization;
using Platform.ChunkStore.Format;
using Platform.ChunkStore.Keys;
using Platform.Engine.Serving;

namespace Platform.ChunkStore.Computing;

/// <summary>
/// Computes a chunk's KV with an engine as the store keeps it: a prefill of <c>[BOS] + chunk</c> (max_tokens 1,
/// the KV exported with the final event), the BOS entry dropped, keys after RoPE at positions 1..n.
/// </summary>
public static class ChunkKvComputer
{
    /// <summary>The position of a stored chunk's first token: right after the BOS it was computed behind.</summary>
    public const int FirstPosition = 1;

    public static int BosTokenId(LlmEngine engine) =>
        engine.Tokenizer?.BosTokenId ?? engine.Model.Config.BosTokenId
        ?? throw new InvalidOperationException("the model defines no BOS token; chunk KV is computed behind one");

    /// <summary>The RoPE description stored with every chunk (what the keys were rotated with).</summary>
    public static string RopeMode(LlmEngine engine)
    {
        var config = engine.Model.Config;
        var scaling = config.RopeScaling is { } s ? $"{s.RopeType}:{s.Factor.ToString(CultureInfo.InvariantCulture)}" : "none";
        return $"{ChunkKvFormat.RotateHalfRopeMode};theta={config.RopeTheta.ToString(CultureInfo.InvariantCulture)};scaling={scaling}";
    }

    /// <summary>
    /// Runs the chunk through <paramref name="engine"/> (queued like any request) and returns its stored value;
    /// under <paramref name="adapter"/> when given (loaded from its directory when not resident).
    /// </summary>
    public static async Task<byte[]> ComputeAsync(LlmEngine engine, IReadOnlyList<int> chunkTokens, ChunkAdapter? adapter, CancellationToken cancellationToken)
    {
        // Without a path the adapter must be resident in the engine already.
        var request = Platform.Engine.Blending.ChunkKvComputer.Request(
            chunkTokens, BosTokenId(engine), adapter: adapter?.EngineName, adapterPath: string.IsNullOrEmpty(adapter?.Path) ? null : adapter.Path);
        using var kv = await Platform.Engine.Blending.ChunkKvComputer.SnapshotAsync(engine, request, cancellationToken).ConfigureAwait(false);
        return Encode(engine, chunkTokens, kv);
    }

    /// <summary>The stored value of a <c>[BOS] + chunk</c> snapshot: rows 1..n of each layer's K and V.</summary>
    public static byte[] Encode(LlmEngine engine, IReadOnlyList<int> chunkTokens, KvSnapshot kv)
    {
        int n = chunkTokens.Count;
        if (kv.NumTokens < n + 1 || kv.Layers.Count == 0)
        {
            throw new InvalidOperationException($"the exported KV covers {kv.NumTokens} tokens; the chunk needs {n + 1}");
        }
        var first = kv.Layers[0].Keys;
        var shape = new ChunkKvHeaderShape(first.dtype, kv.Layers.Count, (int)first.shape[1], (int)first.shape[2],
            FirstPosition, RopeMode(engine), [.. chunkTokens]);
        return ChunkKvFormat.Write(shape, (layer, payload) =>
        {
            var (keys, values) = kv.Layers[layer];
            using var k = keys.narrow(0, FirstPosition, n).contiguous();
            using var v = values.narrow(0, FirstPosition, n).contiguous();
            int bytes = payload.Length / 2;
            k.bytes.CopyTo(payload[..bytes]);
            v.bytes.CopyTo(payload[bytes..]);
        });
    }
}
