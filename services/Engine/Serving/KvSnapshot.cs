using static TorchSharp.torch;

namespace Platform.Engine.Serving;

/// <summary>
/// A copy of one sequence's KV for positions [0, NumTokens): per layer K and V of
/// [tokens, kv_heads, head_dim] in the cache dtype, on the CPU. The owner disposes it.
/// </summary>
public sealed record KvSnapshot(int NumTokens, IReadOnlyList<(Tensor Keys, Tensor Values)> Layers) : IDisposable
{
    public long Bytes => Layers.Sum(l => l.Keys.NumberOfElements * l.Keys.ElementSize + l.Values.NumberOfElements * l.Values.ElementSize);

    public void Dispose()
    {
        foreach (var (k, v) in Layers)
        {
            k.Dispose();
            v.Dispose();
        }
    }
}
