using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// One layer of a precomputed chunk's KV: keys and values [tokens, kv_heads, head_dim] on the CPU, in the
/// engine's compute dtype. Keys are stored after RoPE, at the positions the chunk had when it was computed
/// (<see cref="IChunkKvSource.FirstPosition"/> onwards); the blend re-rotates them to their new positions.
/// The receiver owns and disposes both tensors.
/// </summary>
public sealed record ChunkKvLayer(Tensor Keys, Tensor Values) : IDisposable
{
    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}
