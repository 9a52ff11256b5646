using static TorchSharp.torch;

namespace Platform.Engine.Loading;

/// <summary>Where a model's weights come from: a checkpoint on disk, or random <c>dummy</c> weights.</summary>
public interface IWeightSource : IDisposable
{
    /// <summary>True when the source has a tensor of this checkpoint name.</summary>
    bool Contains(string name);

    /// <summary>
    /// The tensor of this checkpoint name, checked against <paramref name="shape"/> and converted to
    /// <paramref name="dtype"/> on <paramref name="device"/>. Missing tensors and wrong shapes throw
    /// <see cref="ModelLoadException"/> naming the tensor.
    /// </summary>
    Tensor Load(string name, long[] shape, ScalarType dtype, Device device);
}
