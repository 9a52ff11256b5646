using Platform.Engine.Configuration;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// LoRA weights being trained: float32 leaf parameters A [r, in] (PEFT's Kaiming-uniform start) and
/// B [out, r] (zeros), the only tensors that get gradients; the base model stays frozen.
/// </summary>
public sealed class TrainableLora : IDisposable
{
    private readonly Dictionary<(int Layer, LoraTarget Target), (Parameter A, Parameter B)> _weights = [];

    public TrainableLora(ModelConfig model, LoraAdapterConfig config, long seed, Device device)
    {
        Model = model;
        Config = config;
        var generator = new Generator((ulong)seed);
        for (int layer = 0; layer < model.NumHiddenLayers; layer++)
        {
            foreach (var target in config.Targets)
            {
                var (outF, inF) = LoraTargets.Shape(target, model);
                // kaiming_uniform_(a=sqrt(5)) on [r, in] bounds at 1/sqrt(in), as PEFT initialises lora_A.
                double bound = 1.0 / Math.Sqrt(inF);
                using var a = rand([config.Rank, inF], generator: generator).mul_(2 * bound).sub_(bound);
                _weights[(layer, target)] = (
                    new Parameter(a.to(ScalarType.Float32, device), requires_grad: true),
                    new Parameter(zeros([outF, config.Rank], ScalarType.Float32, device), requires_grad: true));
            }
        }
    }

    public ModelConfig Model { get; }
    public LoraAdapterConfig Config { get; }
    public double Scale => Config.Scale;

    public IEnumerable<Parameter> Parameters => _weights.OrderBy(kv => kv.Key.Layer).ThenBy(kv => kv.Key.Target).SelectMany(kv => new[] { kv.Value.A, kv.Value.B });

    /// <summary>Every A and B by PEFT tensor name, in a stable order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters => _weights.OrderBy(kv => kv.Key.Layer).ThenBy(kv => kv.Key.Target)
        .SelectMany(kv => new[] { (LoraTargets.TensorName(kv.Key.Layer, kv.Key.Target, 'A'), kv.Value.A), (LoraTargets.TensorName(kv.Key.Layer, kv.Key.Target, 'B'), kv.Value.B) });

    public (Parameter A, Parameter B)? Weights(int layer, LoraTarget target) => _weights.TryGetValue((layer, target), out var w) ? w : null;

    /// <summary>Copies of every gradient by PEFT tensor name (zeros where none was computed).</summary>
    public Dictionary<string, Tensor> SnapshotGradients()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var ((layer, target), (a, b)) in _weights)
        {
            result[LoraTargets.TensorName(layer, target, 'A')] = a.grad is { } ga ? ga.detach().clone() : zeros_like(a);
            result[LoraTargets.TensorName(layer, target, 'B')] = b.grad is { } gb ? gb.detach().clone() : zeros_like(b);
        }
        return result;
    }

    /// <summary>An adapter for serving with the current weights, in the model's dtype on its device.</summary>
    public LoraAdapter ToAdapter(string name, ScalarType dtype, Device device, string? path = null)
    {
        var weights = new Dictionary<(int, LoraTarget), (Tensor, Tensor)>();
        foreach (var (key, (a, b)) in _weights)
        {
            weights[key] = (a.detach().to(dtype, device).clone(), b.detach().to(dtype, device).clone());
        }
        return new LoraAdapter(name, Config, Model, weights, path);
    }

    public void Dispose()
    {
        foreach (var (a, b) in _weights.Values)
        {
            a.Dispose();
            b.Dispose();
        }
        _weights.Clear();
    }
}
