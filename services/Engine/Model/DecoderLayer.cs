using Platform.Engine.Configuration;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Model;

/// <summary>
/// One Llama decoder layer: RMSNorm → attention (fused q/k/v projection, RoPE, paged GQA attention) →
/// residual → RMSNorm → SwiGLU MLP (fused gate/up) → residual. Weights load by their checkpoint names
/// (<c>model.layers.N.self_attn.q_proj.weight</c>, ...); q/k/v and gate/up are concatenated once at load
/// so a step runs one matmul for each pair.
/// </summary>
public sealed partial class DecoderLayer : IDisposable
{
    private readonly int _index;
    private readonly ModelConfig _config;
    private readonly Tensor _inputNorm;
    private readonly Tensor _postAttentionNorm;
    private readonly Tensor _qkvWeight;
    private readonly Tensor? _qkvBias;
    private readonly Tensor _oWeight;
    private readonly Tensor? _oBias;
    private readonly Tensor _gateUpWeight;
    private readonly Tensor? _gateUpBias;
    private readonly Tensor _downWeight;
    private readonly Tensor? _downBias;
    private readonly long _qSize;
    private readonly long _kvSize;

    public DecoderLayer(int index, ModelConfig config, IWeightSource weights, ScalarType dtype, Device device)
    {
        _index = index;
        _config = config;
        string p = $"model.layers.{index}.";
        long h = config.HiddenSize;
        long inter = config.IntermediateSize;
        _qSize = (long)config.NumAttentionHeads * config.HeadDim;
        _kvSize = (long)config.NumKeyValueHeads * config.HeadDim;
        Tensor Load(string name, params long[] shape) => weights.Load(p + name, shape, dtype, device);

        _inputNorm = Load("input_layernorm.weight", h);
        _postAttentionNorm = Load("post_attention_layernorm.weight", h);
        _qkvWeight = Concat(
            Load("self_attn.q_proj.weight", _qSize, h),
            Load("self_attn.k_proj.weight", _kvSize, h),
            Load("self_attn.v_proj.weight", _kvSize, h));
        if (config.QkvBias)
        {
            _qkvBias = Concat(
                Load("self_attn.q_proj.bias", _qSize),
                Load("self_attn.k_proj.bias", _kvSize),
                Load("self_attn.v_proj.bias", _kvSize));
        }
        _oWeight = Load("self_attn.o_proj.weight", h, _qSize);
        _oBias = config.OutputBias ? Load("self_attn.o_proj.bias", h) : null;
        _gateUpWeight = Concat(Load("mlp.gate_proj.weight", inter, h), Load("mlp.up_proj.weight", inter, h));
        _downWeight = Load("mlp.down_proj.weight", h, inter);
        if (config.MlpBias)
        {
            _gateUpBias = Concat(Load("mlp.gate_proj.bias", inter), Load("mlp.up_proj.bias", inter));
            _downBias = Load("mlp.down_proj.bias", h);
        }
    }

    /// <summary>x [T, hidden] → [T, hidden].</summary>
    public Tensor Forward(Tensor x, RotaryAngles angles, AttentionMetadata meta, PagedKvCache cache, Lora.LoraBatch? lora = null)
    {
        var (q, k, v) = ProjectQkv(x, angles, lora);
        var attention = PagedAttention.Forward(_index, q, k, v, meta, cache);
        x = x + WithLora(lora, Lora.LoraProjectionGroup.O, attention, Projection.Apply(attention, _oWeight, _oBias));

        var normed = RmsNorm.Apply(x, _postAttentionNorm, _config.RmsNormEps);
        var gateUp = WithLora(lora, Lora.LoraProjectionGroup.GateUp, normed, Projection.Apply(normed, _gateUpWeight, _gateUpBias));
        long inter = _config.IntermediateSize;
        var activated = silu(gateUp.narrow(1, 0, inter)) * gateUp.narrow(1, inter, inter);
        return x + WithLora(lora, Lora.LoraProjectionGroup.Down, activated, Projection.Apply(activated, _downWeight, _downBias));
    }

    /// <summary>
    /// Only this layer's K (after RoPE) and V of <paramref name="x"/>, written to <paramref name="slots"/>: what
    /// <see cref="Forward"/> would write there, without its attention and MLP (CacheBlend's check layer needs every
    /// token's fresh KV but the rest of the layer only for the tokens it goes on computing).
    /// </summary>
    public void WriteKv(Tensor x, RotaryAngles angles, Tensor slots, PagedKvCache cache, Lora.LoraBatch? lora = null)
    {
        if (lora is not null)
        {
            // The adapter's deltas cover the fused q/k/v output as a whole.
            var (_, k, v) = ProjectQkv(x, angles, lora);
            cache.Write(_index, slots, k, v);
            return;
        }
        // Only the K and V rows of the fused projection (a third of its work when every token is projected).
        long t = x.shape[0];
        int kvHeads = _config.NumKeyValueHeads;
        var normed = RmsNorm.Apply(x, _inputNorm, _config.RmsNormEps);
        var kv = Projection.Apply(normed, _qkvWeight.narrow(0, _qSize, 2 * _kvSize), _qkvBias?.narrow(0, _qSize, 2 * _kvSize));
        var keys = RotaryEmbedding.Apply(kv.narrow(1, 0, _kvSize).view(t, kvHeads, _config.HeadDim), angles);
        cache.Write(_index, slots, keys, kv.narrow(1, _kvSize, _kvSize).view(t, kvHeads, _config.HeadDim));
    }

    /// <summary>The attention inputs of <paramref name="x"/>: q and k after RoPE [T, heads | kv_heads, d], v [T, kv_heads, d].</summary>
    private (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x, RotaryAngles angles, Lora.LoraBatch? lora)
    {
        long t = x.shape[0];
        var normed = RmsNorm.Apply(x, _inputNorm, _config.RmsNormEps);
        var qkv = WithLora(lora, Lora.LoraProjectionGroup.Qkv, normed, Projection.Apply(normed, _qkvWeight, _qkvBias));
        int heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads;
        // q and k sit side by side in the fused projection: rotate them in one go.
        var qk = RotaryEmbedding.Apply(qkv.narrow(1, 0, _qSize + _kvSize).view(t, heads + kvHeads, _config.HeadDim), angles);
        var v = qkv.narrow(1, _qSize + _kvSize, _kvSize).view(t, kvHeads, _config.HeadDim);
        return (qk.narrow(1, 0, heads), qk.narrow(1, heads, kvHeads), v);
    }

    /// <summary>Joins weights along their output rows into memory given huge pages before first touch.</summary>
    private static Tensor Concat(params Tensor[] parts)
    {
        long[] shape = [.. parts[0].shape];
        shape[0] = parts.Sum(p => p.shape[0]);
        var joined = empty(shape, parts[0].dtype, parts[0].device);
        KvCache.HugePages.Advise(joined);
        long row = 0;
        foreach (var part in parts)
        {
            using (var slice = joined.narrow(0, row, part.shape[0]))
            {
                slice.copy_(part);
            }
            row += part.shape[0];
            part.Dispose();
        }
        return joined;
    }

    public void Dispose()
    {
        foreach (var t in new[] { _inputNorm, _postAttentionNorm, _qkvWeight, _qkvBias, _oWeight, _oBias, _gateUpWeight, _gateUpBias, _downWeight, _downBias })
        {
            t?.Dispose();
        }
    }
}
