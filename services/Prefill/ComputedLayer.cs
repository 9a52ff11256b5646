using static TorchSharp.torch;

namespace Platform.Prefill;

/// <summary>One layer's prompt KV as the engine handed it out, and when.</summary>
internal sealed record ComputedLayer(int Layer, Tensor Keys, Tensor Values, long ComputedAt) : IDisposable
{
    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}
