using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>
/// Random weights for any config, seeded: for benchmarks at sizes no checkpoint here has, and for the demo
/// model. Matrices get N(0, 0.02) like HF's initializer_range; norm weights are ones so activations stay sane.
/// </summary>
public sealed class DummyWeights : IWeightSource
{
    private readonly Generator _generator;

    public DummyWeights(long seed)
    {
        _generator = new Generator((ulong)seed);
    }

    public bool Contains(string name) => !name.StartsWith("lm_head", StringComparison.Ordinal);

    public Tensor Load(string name, long[] shape, ScalarType dtype, Device device)
    {
        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
        {
            return ones(shape, dtype, device);
        }
        if (name.EndsWith(".bias", StringComparison.Ordinal))
        {
            return zeros(shape, dtype, device);
        }
        using var cpu = normal(0.0, 0.02, shape, generator: _generator);
        var weight = empty(shape, dtype, device);
        KvCache.HugePages.Advise(weight);
        return weight.copy_(cpu);
    }

    public void Dispose() => _generator.Dispose();
}
