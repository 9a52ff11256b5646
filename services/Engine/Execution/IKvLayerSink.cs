using static TorchSharp.torch;

namespace Platform.Engine.Execution;

/// <summary>
/// Receives a prompt's KV layer by layer while the step that completes the prompt is still computing
/// later layers (the prefill side of a phase split streams each layer as soon as it exists). Called on
/// the engine thread: enqueue and return. The sink owns and disposes the CPU tensors it gets.
/// </summary>
public interface IKvLayerSink
{
    /// <summary>K and V of positions [0, tokens) for one layer: [tokens, kv_heads, head_dim], on the CPU.</summary>
    void OnLayer(int layer, Tensor keys, Tensor values);
}
