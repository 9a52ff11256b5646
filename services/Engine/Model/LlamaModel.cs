using Platform.Engine.Configuration;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// A Llama-family causal LM (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) on TorchSharp.
/// Weights are long-lived tensors on the configured device; activations of a forward pass belong to the
/// caller's dispose scope.
/// </summary>
public sealed partial class LlamaModel : IDisposable
{
    private readonly Tensor _embedTokens;
    private readonly Tensor _norm;
    private readonly Tensor _lmHead;
    private readonly bool _lmHeadIsEmbedding;

    public LlamaModel(ModelConfig config, IWeightSource weights, ScalarType dtype, Device device, int maxPositions)
    {
        config.Validate();
        Config = config;
        DType = dtype;
        Device = device;
        long h = config.HiddenSize;
        long vocab = config.VocabSize;
        _embedTokens = weights.Load("model.embed_tokens.weight", [vocab, h], dtype, device);
        var layers = new DecoderLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = new DecoderLayer(i, config, weights, dtype, device);
        }
        Layers = layers;
        _norm = weights.Load("model.norm.weight", [h], dtype, device);
        // Tied models use the embedding as the output projection, even when a checkpoint also stores
        // lm_head.weight (Hugging Face ties them at load, discarding the stored copy).
        _lmHeadIsEmbedding = config.TieWordEmbeddings;
        _lmHead = _lmHeadIsEmbedding ? _embedTokens : weights.Load("lm_head.weight", [vocab, h], dtype, device);
        Rope = new RotaryEmbedding(config, maxPositions, dtype, device);
    }

    public ModelConfig Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public RotaryEmbedding Rope { get; }

    /// <summary>Embeds token ids [T] → hidden states [T, hidden].</summary>
    public Tensor Embed(Tensor inputIds) => _embedTokens.index_select(0, inputIds);

    /// <summary>
    /// Runs every layer over one step's tokens; returns the final-normed hidden states [T, hidden].
    /// <paramref name="afterLayer"/> runs once each layer's K/V are in the cache.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor positions, AttentionMetadata meta, PagedKvCache cache, Action<int>? afterLayer = null, Lora.LoraBatch? lora = null)
    {
        var x = Embed(inputIds);
        var angles = Rope.Lookup(positions);
        for (int i = 0; i < Layers.Count; i++)
        {
            x = ForwardLayer(i, x, angles, meta, cache, lora);
            afterLayer?.Invoke(i);
        }
        return RmsNorm.Apply(x, _norm, Config.RmsNormEps);
    }

    /// <summary>
    /// One layer over <paramref name="x"/>, which it consumes (disposes); the result lives in the caller's scope.
    /// The layer's intermediates are freed as it ends, so the next layer reuses their memory: kept until the end
    /// of a pass they made every layer fault in fresh pages, which halves a prefill matmul's speed on a VM.
    /// </summary>
    public Tensor ForwardLayer(int layer, Tensor x, RotaryAngles angles, AttentionMetadata meta, PagedKvCache cache, Lora.LoraBatch? lora = null)
    {
        using var scope = NewDisposeScope();
        var y = Layers[layer].Forward(x, angles, meta, cache, lora).MoveToOuterDisposeScope();
        x.Dispose();
        return y;
    }

    /// <summary>The final RMSNorm, as <see cref="Forward"/> applies it (for passes that run the layers themselves).</summary>
    public Tensor FinalNorm(Tensor x) => RmsNorm.Apply(x, _norm, Config.RmsNormEps);

    /// <summary>Float32 logits [N, vocab] for the given hidden rows.</summary>
    public Tensor Logits(Tensor hidden) => Projection.Apply(hidden, _lmHead).to(ScalarType.Float32);

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
        _embedTokens.Dispose();
        _norm.Dispose();
        if (!_lmHeadIsEmbedding)
        {
            _lmHead.Dispose();
        }
        Rope.Dispose();
    }
}
