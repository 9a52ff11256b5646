using System.Buffers.Binary;
using System.Text.Json;

namespace Platform.Engine.Tests.Reference;

/// <summary>
/// An independent reference: a plain full-sequence forward pass of a Llama checkpoint in C# doubles, with
/// no KV cache, no TorchSharp and none of the engine's code (its own safetensors and config reading).
/// Written straight from the Hugging Face LlamaForCausalLM definition; slow, only for tiny models.
/// </summary>
public sealed class ReferenceLlama
{
    private readonly Dictionary<string, float[]> _w = new(StringComparer.Ordinal);
    private readonly int _hidden, _inter, _layers, _heads, _kvHeads, _headDim, _vocab;
    private readonly double _eps, _theta;
    private readonly bool _tied;

    public ReferenceLlama(string directory)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "config.json")));
        var c = config.RootElement;
        _hidden = c.GetProperty("hidden_size").GetInt32();
        _inter = c.GetProperty("intermediate_size").GetInt32();
        _layers = c.GetProperty("num_hidden_layers").GetInt32();
        _heads = c.GetProperty("num_attention_heads").GetInt32();
        _kvHeads = c.GetProperty("num_key_value_heads").GetInt32();
        _headDim = c.TryGetProperty("head_dim", out var hd) ? hd.GetInt32() : _hidden / _heads;
        _vocab = c.GetProperty("vocab_size").GetInt32();
        _eps = c.GetProperty("rms_norm_eps").GetDouble();
        _theta = c.GetProperty("rope_theta").GetDouble();
        _tied = c.GetProperty("tie_word_embeddings").GetBoolean();

        var bytes = File.ReadAllBytes(Path.Combine(directory, "model.safetensors"));
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        foreach (var t in header.RootElement.EnumerateObject())
        {
            if (t.Name == "__metadata__")
            {
                continue;
            }
            var offsets = t.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(bytes, (int)(8 + headerLength + offsets[0]), data, 0, data.Length * 4);
            _w[t.Name] = data;
        }
    }

    /// <summary>Logits at every position of <paramref name="tokens"/>: [T][vocab].</summary>
    public double[][] Forward(IReadOnlyList<int> tokens)
    {
        int t = tokens.Count;
        var x = new double[t][];
        var embed = _w["model.embed_tokens.weight"];
        for (int i = 0; i < t; i++)
        {
            x[i] = new double[_hidden];
            for (int j = 0; j < _hidden; j++)
            {
                x[i][j] = embed[tokens[i] * _hidden + j];
            }
        }
        for (int l = 0; l < _layers; l++)
        {
            string p = $"model.layers.{l}.";
            var normed = x.Select(r => Norm(r, _w[p + "input_layernorm.weight"])).ToArray();
            var q = normed.Select(r => MatVec(_w[p + "self_attn.q_proj.weight"], r, _heads * _headDim)).ToArray();
            var k = normed.Select(r => MatVec(_w[p + "self_attn.k_proj.weight"], r, _kvHeads * _headDim)).ToArray();
            var v = normed.Select(r => MatVec(_w[p + "self_attn.v_proj.weight"], r, _kvHeads * _headDim)).ToArray();
            for (int i = 0; i < t; i++)
            {
                Rope(q[i], _heads, i);
                Rope(k[i], _kvHeads, i);
            }
            var attn = new double[t][];
            int group = _heads / _kvHeads;
            for (int i = 0; i < t; i++)
            {
                attn[i] = new double[_heads * _headDim];
                for (int h = 0; h < _heads; h++)
                {
                    int kvh = h / group;
                    var scores = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        double s = 0;
                        for (int d = 0; d < _headDim; d++)
                        {
                            s += q[i][h * _headDim + d] * k[j][kvh * _headDim + d];
                        }
                        scores[j] = s / Math.Sqrt(_headDim);
                    }
                    double max = scores.Max();
                    double sum = 0;
                    for (int j = 0; j <= i; j++)
                    {
                        scores[j] = Math.Exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= i; j++)
                    {
                        for (int d = 0; d < _headDim; d++)
                        {
                            attn[i][h * _headDim + d] += scores[j] / sum * v[j][kvh * _headDim + d];
                        }
                    }
                }
            }
            for (int i = 0; i < t; i++)
            {
                var o = MatVec(_w[p + "self_attn.o_proj.weight"], attn[i], _hidden);
                for (int j = 0; j < _hidden; j++)
                {
                    x[i][j] += o[j];
                }
                var n2 = Norm(x[i], _w[p + "post_attention_layernorm.weight"]);
                var gate = MatVec(_w[p + "mlp.gate_proj.weight"], n2, _inter);
                var up = MatVec(_w[p + "mlp.up_proj.weight"], n2, _inter);
                var act = new double[_inter];
                for (int j = 0; j < _inter; j++)
                {
                    act[j] = gate[j] / (1 + Math.Exp(-gate[j])) * up[j];
                }
                var down = MatVec(_w[p + "mlp.down_proj.weight"], act, _hidden);
                for (int j = 0; j < _hidden; j++)
                {
                    x[i][j] += down[j];
                }
            }
        }
        var head = _tied ? _w["model.embed_tokens.weight"] : _w["lm_head.weight"];
        return x.Select(r => MatVec(head, Norm(r, _w["model.norm.weight"]), _vocab)).ToArray();
    }

    /// <summary>Greedy continuation by recomputing the whole sequence for every new token.</summary>
    public List<int> Greedy(IReadOnlyList<int> prompt, int maxNewTokens, ISet<int> stopTokens)
    {
        var tokens = prompt.ToList();
        var generated = new List<int>();
        for (int s = 0; s < maxNewTokens; s++)
        {
            var logits = Forward(tokens)[^1];
            int next = Array.IndexOf(logits, logits.Max());
            generated.Add(next);
            if (stopTokens.Contains(next))
            {
                break;
            }
            tokens.Add(next);
        }
        return generated;
    }

    private double[] Norm(double[] x, float[] w)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double r = 1 / Math.Sqrt(ms + _eps);
        return x.Select((v, i) => v * r * w[i]).ToArray();
    }

    private static double[] MatVec(float[] w, double[] x, int rows)
    {
        var y = new double[rows];
        int cols = x.Length;
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++)
            {
                s += w[r * cols + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    /// <summary>rotate_half RoPE: pairs (i, i + d/2) rotate by position * theta^(-2i/d).</summary>
    private void Rope(double[] vec, int heads, int pos)
    {
        int half = _headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            int o = h * _headDim;
            for (int i = 0; i < half; i++)
            {
                double freq = Math.Pow(_theta, -2.0 * i / _headDim);
                double angle = pos * freq;
                double a = vec[o + i], b = vec[o + i + half];
                vec[o + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                vec[o + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
    }
}
