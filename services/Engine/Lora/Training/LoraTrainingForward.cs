using Platform.Engine.Configuration;
using Platform.Engine.Model;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// A differentiable forward pass of the frozen model with trainable LoRA weights: plain torch ops (no
/// paged cache, no custom kernels), so autograd reaches A and B. A layer runs over a slice of a sequence's
/// tokens [start, start + T) attending to the keys and values of the earlier slices, which is what lets
/// co-serving split a training sequence's forward pass across engine iterations.
/// </summary>
internal static class LoraTrainingForward
{
    /// <summary>The slice's layer output [T, hidden], and the layer's keys and values [start + T, kv heads, head dim] so far.</summary>
    public sealed record LayerResult(Tensor Output, Tensor Keys, Tensor Values);

    public static LayerResult Layer(DecoderLayer layer, ModelConfig config, TrainableLora lora, Tensor x, RotaryAngles angles, int start, Tensor? pastKeys, Tensor? pastValues)
    {
        var w = layer.FrozenWeights;
        int i = layer.Index;
        long t = x.shape[0];
        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, dim = config.HeadDim;
        var normed = RmsNorm.Apply(x, w.InputNorm, config.RmsNormEps);
        var qkv = linear(normed, w.QkvWeight, w.QkvBias);
        var q = WithDelta(qkv.narrow(1, 0, w.QSize), lora, i, LoraTarget.QProj, normed);
        var k = WithDelta(qkv.narrow(1, w.QSize, w.KvSize), lora, i, LoraTarget.KProj, normed);
        var v = WithDelta(qkv.narrow(1, w.QSize + w.KvSize, w.KvSize), lora, i, LoraTarget.VProj, normed);
        q = RotaryEmbedding.Apply(q.view(t, heads, dim), angles);
        k = RotaryEmbedding.Apply(k.view(t, kvHeads, dim), angles);
        v = v.view(t, kvHeads, dim);
        var keys = pastKeys is null ? k : cat([pastKeys, k], 0);
        var values = pastValues is null ? v : cat([pastValues, v], 0);
        var attention = Attend(q, keys, values, start, config);
        var h = x + WithDelta(linear(attention, w.OWeight, w.OBias), lora, i, LoraTarget.OProj, attention);

        normed = RmsNorm.Apply(h, w.PostAttentionNorm, config.RmsNormEps);
        var gateUp = linear(normed, w.GateUpWeight, w.GateUpBias);
        long inter = config.IntermediateSize;
        var gate = WithDelta(gateUp.narrow(1, 0, inter), lora, i, LoraTarget.GateProj, normed);
        var up = WithDelta(gateUp.narrow(1, inter, inter), lora, i, LoraTarget.UpProj, normed);
        var activated = silu(gate) * up;
        var output = h + WithDelta(linear(activated, w.DownWeight, w.DownBias), lora, i, LoraTarget.DownProj, activated);
        return new LayerResult(output, keys, values);
    }

    /// <summary>Final norm and LM head: float32 logits [T, vocab].</summary>
    public static Tensor Logits(LlamaModel model, Tensor hidden) =>
        linear(RmsNorm.Apply(hidden, model.FinalNormWeight, model.Config.RmsNormEps), model.LmHead).to(ScalarType.Float32);

    /// <summary>Sum of the cross-entropy of predicting tokens [from, to) of <paramref name="ids"/> from the logits of the positions before them.</summary>
    public static Tensor TokenLossSum(Tensor logits, IReadOnlyList<int> ids, int from)
    {
        int to = ids.Count;
        var predictions = logits.narrow(0, from - 1, to - from);
        var targets = tensor(ids.Skip(from).Select(id => (long)id).ToArray(), device: logits.device);
        return cross_entropy(predictions, targets, reduction: TorchSharp.torch.nn.Reduction.Sum);
    }

    /// <summary>
    /// Sum of the cross-entropy of predicting tokens [from, count) of <paramref name="ids"/>, restricted to the
    /// predictions made from the slice of hidden states <paramref name="hidden"/> at positions [start, start + T);
    /// null when none of those positions predicts a trained token.
    /// </summary>
    public static Tensor? SliceLossSum(LlamaModel model, Tensor hidden, IReadOnlyList<int> ids, int from, int start)
    {
        int first = Math.Max(start, from - 1);
        int end = Math.Min(start + (int)hidden.shape[0], ids.Count - 1);
        if (end <= first)
        {
            return null;
        }
        var logits = Logits(model, hidden.narrow(0, first - start, end - first));
        var targets = tensor(ids.Skip(first + 1).Take(end - first).Select(id => (long)id).ToArray(), device: logits.device);
        return cross_entropy(logits, targets, reduction: TorchSharp.torch.nn.Reduction.Sum);
    }

    private static Tensor WithDelta(Tensor y, TrainableLora lora, int layer, LoraTarget target, Tensor input)
    {
        if (lora.Weights(layer, target) is not { } w)
        {
            return y;
        }
        return y + input.matmul(w.A.t()).mul(lora.Scale).matmul(w.B.t());
    }

    /// <summary>Causal GQA attention of queries at positions [start, start + T) over keys [0, start + T).</summary>
    private static Tensor Attend(Tensor q, Tensor keys, Tensor values, int start, ModelConfig config)
    {
        long t = q.shape[0];
        long ctx = keys.shape[0];
        int heads = config.NumAttentionHeads;
        int groups = heads / config.NumKeyValueHeads;
        var k = keys.repeat_interleave(groups, 1).permute(1, 2, 0);
        var v = values.repeat_interleave(groups, 1).permute(1, 0, 2);
        var scores = q.permute(1, 0, 2).matmul(k).mul(1.0 / Math.Sqrt(config.HeadDim));
        var allowed = new bool[t * ctx];
        int? window = config.SlidingWindow;
        for (int row = 0; row < t; row++)
        {
            int pos = start + row;
            for (int j = 0; j <= pos; j++)
            {
                allowed[row * ctx + j] = window is null || j > pos - window;
            }
        }
        var mask = tensor(allowed, device: q.device).view(t, ctx);
        var probs = softmax(scores.masked_fill(mask.logical_not(), double.NegativeInfinity).to(ScalarType.Float32), -1).to(q.dtype);
        return probs.matmul(v).permute(1, 0, 2).reshape(t, heads * config.HeadDim);
    }
}
