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
