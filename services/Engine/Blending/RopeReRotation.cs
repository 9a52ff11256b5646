using Platform.Engine.Configuration;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Blending;

/// <summary>
/// Moves keys stored after RoPE at positions p to positions q = p + delta by one more rotation of delta:
/// R(q) = R(delta) R(p) holds whenever each pair's frequency is independent of the position and the
/// sequence length, which is true for plain RoPE and the "linear" and "llama3" rope_scaling variants
/// (they only rescale the frequencies). Partial rotary, and length-dependent variants (dynamic NTK, yarn,
/// longrope) are refused: re-rotating their keys would not give the keys computed at q.
/// </summary>
public sealed class RopeReRotation
{
    private readonly float[] _inverseFrequencies;

    public RopeReRotation(ModelConfig config)
    {
        if (UnsupportedReason(config) is { } reason)
        {
            throw new NotSupportedException(reason);
        }
        _inverseFrequencies = RotaryEmbedding.InverseFrequencies(config, config.HeadDim);
    }

    /// <summary>Null when re-rotation is exact for this model; otherwise why it is not.</summary>
    public static string? UnsupportedReason(ModelConfig config)
    {
        if (config.PartialRotaryFactor is { } factor && factor != 1.0)
        {
            return $"partial_rotary_factor {factor}: only part of each head is rotated";
        }
        string type = config.RopeScaling?.RopeType ?? "default";
        return type is "default" or "linear" or "llama3"
            ? null
            : $"rope_scaling type '{type}' scales frequencies with the sequence length; re-rotated keys would not be exact";
    }

    /// <summary>
    /// Checks the re-rotation against the model's own rotary tables, once per engine before its first blend (LMCache
    /// has no such check; a rotary variant that only one side knows would blend wrongly placed keys without a
    /// sign): keys the model rotates at positions p, moved by delta, must be the keys it rotates at p + delta, for
    /// short moves, one to the end of the tables and one back. Null when they agree to within the rounding of the
    /// tables; otherwise what differed.
    /// </summary>
    public string? CheckAgainst(RotaryEmbedding rope, Device device)
    {
        const int tokens = 4;
        int last = rope.MaxPositions - tokens;
        if (last < 2)
        {
            return null;
        }
        using var scope = NewDisposeScope();
        var keys = randn([tokens, 2, 2 * _inverseFrequencies.Length], generator: new Generator(17)).to(device);
        // Tables kept in 16 bits round each cos/sin to 2^-8 (bfloat16) or 2^-11; a RoPE that is not this one is off by far more.
        double tolerance = rope.DType == ScalarType.Float32 ? 1e-2 : 5e-2;
        Tensor At(long first) => RotaryEmbedding.Apply(keys, rope.Lookup(arange(first, first + tokens, ScalarType.Int64, device)))
            .to(ScalarType.Float32);
        foreach (var (from, to) in new (long, long)[] { (1, 2), (1, Math.Min(513, last)), (1, last), (last, 1) })
        {
            var expected = At(to);
            var moved = Rotate(At(from), to - from).to(ScalarType.Float32);
            double error = (moved - expected).abs().max().item<float>() / Math.Max(expected.abs().max().item<float>(), 1e-6f);
            if (!(error <= tolerance))
            {
                return $"keys the model rotates at position {from} and re-rotated by {to - from} differ from the keys it rotates at {to} "
                    + $"by {error:P1} of their largest value: the re-rotation does not match this model's RoPE";
            }
        }
        return null;
    }

    /// <summary>
    /// keys [tokens, kv_heads, head_dim] rotated by <paramref name="delta"/> positions (negative moves them
    /// back), in HF's rotate_half layout; computed in float32 and returned in the keys' dtype.
    /// </summary>
    public Tensor Rotate(Tensor keys, long delta)
    {
        var (cos, signedSin) = Angles(delta);
        using var scope = NewDisposeScope();
        var x = keys.to(ScalarType.Float32);
        var angles = new RotaryAngles(
            tensor(cos, device: keys.device).view(1, 1, -1),
            tensor(signedSin, device: keys.device).view(1, 1, -1));
        return RotaryEmbedding.Apply(x, angles).to(keys.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// cos and signed sin [head_dim] of a rotation by <paramref name="delta"/>, laid out for
    /// <see cref="RotaryEmbedding.Apply"/>: x * cos + roll(x, head_dim / 2) * signedSin.
    /// </summary>
    public (float[] Cos, float[] SignedSin) Angles(long delta)
    {
        int half = _inverseFrequencies.Length;
        var cos = new float[2 * half];
        var signedSin = new float[2 * half];
        for (int i = 0; i < half; i++)
        {
            // The angle in double: delta * inv_freq stays exact enough for any context length.
            double angle = delta * (double)_inverseFrequencies[i];
            cos[i] = cos[i + half] = (float)Math.Cos(angle);
            signedSin[i] = -(float)Math.Sin(angle);
            signedSin[i + half] = (float)Math.Sin(angle);
        }
        return (cos, signedSin);
    }
}
