using Platform.Engine.Loading;
using static TorchSharp.torch;

namespace Platform.Engine.Lora;

/// <summary>
/// A weight source that merges an adapter into the base weights as they load (W + scale·B·A), for serving
/// one adapter at full speed or exporting a merged checkpoint. Does not own the adapter.
/// </summary>
public sealed class LoraMergedWeights : IWeightSource
{
    private readonly IWeightSource _base;
    private readonly LoraAdapter _adapter;

    public LoraMergedWeights(IWeightSource baseWeights, LoraAdapter adapter)
    {
        _base = baseWeights;
        _adapter = adapter;
    }

    public bool Contains(string name) => _base.Contains(name);

    public Tensor Load(string name, long[] shape, ScalarType dtype, Device device)
    {
        var weight = _base.Load(name, shape, dtype, device);
        if (TargetOf(name) is not { } target || _adapter.Weights(target.Layer, target.Target) is null)
        {
            return weight;
        }
        using var scope = NewDisposeScope();
        var delta = _adapter.DeltaWeight(target.Layer, target.Target).to(dtype, device);
        weight.add_(delta);
        return weight;
    }

    private static (int Layer, LoraTarget Target)? TargetOf(string name)
    {
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal))
        {
            return null;
        }
        int dot = name.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), out int layer))
        {
            return null;
        }
        var module = name[(dot + 1)..^".weight".Length];
        foreach (var t in LoraTargets.All)
        {
            if (string.Equals(LoraTargets.ModulePath(t), module, StringComparison.Ordinal))
            {
                return (layer, t);
            }
        }
        return null;
    }

    public void Dispose()
    {
    }
}
