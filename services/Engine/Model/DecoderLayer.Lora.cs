using Platform.Engine.Lora;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>The layer's LoRA side: per-row adapter deltas on its fused projections, and read access to its frozen weights for training.</summary>
public sealed partial class DecoderLayer
{
    internal int Index => _index;

    /// <summary>The frozen weights as the training forward uses them (views, owned by the layer).</summary>
    internal DecoderLayerWeights FrozenWeights => new(
        _inputNorm, _postAttentionNorm, _qkvWeight, _qkvBias, _oWeight, _oBias, _gateUpWeight, _gateUpBias, _downWeight, _downBias, _qSize, _kvSize);

    private Tensor WithLora(LoraBatch? lora, LoraProjectionGroup group, Tensor input, Tensor output) =>
        lora is null ? output : lora.Apply(_index, group, input, output);
}

/// <summary>One layer's frozen weights, fused as the engine holds them (q/k/v and gate/up concatenated by output rows).</summary>
internal sealed record DecoderLayerWeights(
    Tensor InputNorm, Tensor PostAttentionNorm, Tensor QkvWeight, Tensor? QkvBias, Tensor OWeight, Tensor? OBias,
    Tensor GateUpWeight, Tensor? GateUpBias, Tensor DownWeight, Tensor? DownBias, long QSize, long KvSize);
