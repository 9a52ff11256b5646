using Platform.Engine.Configuration;

namespace Platform.Engine.Loading;

/// <summary>Every tensor a Hugging Face Llama-family checkpoint of a config holds, by name and shape.</summary>
public static class CheckpointLayout
{
    public static IEnumerable<(string Name, long[] Shape)> Tensors(ModelConfig config)
    {
        long h = config.HiddenSize, inter = config.IntermediateSize, vocab = config.VocabSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        yield return ("model.embed_tokens.weight", [vocab, h]);
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            yield return (p + "input_layernorm.weight", [h]);
            yield return (p + "self_attn.q_proj.weight", [q, h]);
            yield return (p + "self_attn.k_proj.weight", [kv, h]);
            yield return (p + "self_attn.v_proj.weight", [kv, h]);
            yield return (p + "self_attn.o_proj.weight", [h, q]);
            if (config.QkvBias)
            {
                yield return (p + "self_attn.q_proj.bias", [q]);
                yield return (p + "self_attn.k_proj.bias", [kv]);
                yield return (p + "self_attn.v_proj.bias", [kv]);
            }
            if (config.OutputBias)
            {
                yield return (p + "self_attn.o_proj.bias", [h]);
            }
            yield return (p + "post_attention_layernorm.weight", [h]);
            yield return (p + "mlp.gate_proj.weight", [inter, h]);
            yield return (p + "mlp.up_proj.weight", [inter, h]);
            yield return (p + "mlp.down_proj.weight", [h, inter]);
            if (config.MlpBias)
            {
                yield return (p + "mlp.gate_proj.bias", [inter]);
                yield return (p + "mlp.up_proj.bias", [inter]);
                yield return (p + "mlp.down_proj.bias", [h]);
            }
        }
        yield return ("model.norm.weight", [h]);
        if (!config.TieWordEmbeddings)
        {
            yield return ("lm_head.weight", [vocab, h]);
        }
    }
}
