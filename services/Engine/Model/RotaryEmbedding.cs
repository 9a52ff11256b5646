using Platform.Engine.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// RoPE in Hugging Face's rotate_half layout: the head dimension splits into two halves rotated as pairs
/// (i, i + d/2). cos/sin tables are precomputed for every position in float32, as HF does, including
/// the "linear" and "llama3" rope_scaling variants.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos;
    private readonly Tensor _sin;

    public RotaryEmbedding(ModelConfig config, int maxPositions, ScalarType dtype, Device device)
    {
        int dim = config.HeadDim;
        var invFreq = InverseFrequencies(config, dim);
        using var scope = NewDisposeScope();
        var positions = arange(maxPositions, ScalarType.Float32);
        var freqs = outer(positions, tensor(invFreq));
        var emb = cat([freqs, freqs], 1);
        _cos = emb.cos().to(dtype, device).DetachFromDisposeScope();
        // sin with the first half negated: rotate_half(x) * sin == roll(x, d/2) * signed sin.
        var sin = freqs.sin();
        _sin = cat([sin.neg(), sin], 1).to(dtype, device).DetachFromDisposeScope();
    }

    /// <summary>Positions the tables cover.</summary>
    public int MaxPositions => (int)_cos.shape[0];

    /// <summary>The dtype the tables are kept in (the model's).</summary>
    public ScalarType DType => _cos.dtype;

    /// <summary>Per-pair inverse frequencies after rope_scaling, as HF's rope init functions compute them.</summary>
    public static float[] InverseFrequencies(ModelConfig config, int dim)
    {
        var inv = new float[dim / 2];
        for (int i = 0; i < inv.Length; i++)
        {
            inv[i] = (float)(1.0 / Math.Pow(config.RopeTheta, (float)(2 * i) / dim));
        }
        var scaling = config.RopeScaling;
        switch (scaling?.RopeType)
        {
            case "linear":
                for (int i = 0; i < inv.Length; i++)
                {
                    inv[i] = (float)(inv[i] / scaling.Factor);
                }
                break;
            case "llama3":
                double lowWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
                double highWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
                for (int i = 0; i < inv.Length; i++)
                {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen)
                    {
                        inv[i] = (float)(inv[i] / scaling.Factor);
                    }
                    else if (wavelen >= highWavelen)
                    {
                        double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor)
                            / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                        inv[i] = (float)((1 - smooth) * inv[i] / scaling.Factor + smooth * inv[i]);
                    }
                }
                break;
        }
        return inv;
    }

    /// <summary>The cos/sin rows of one step's positions [tokens]: looked up once, used by every layer.</summary>
    public RotaryAngles Lookup(Tensor positions) =>
        new(_cos.index_select(0, positions).unsqueeze(1), _sin.index_select(0, positions).unsqueeze(1));

    /// <summary>Rotates <paramref name="x"/> [tokens, heads, head_dim]: x * cos + rotate_half(x) * sin.</summary>
    public static Tensor Apply(Tensor x, RotaryAngles angles) =>
        x * angles.Cos + x.roll(x.shape[^1] / 2, -1) * angles.SignedSin;

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
