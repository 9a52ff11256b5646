using Platform.Engine.Configuration;
using Platform.Engine.Lora;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>Random PEFT adapters for a model, written to temporary directories the way PEFT saves them.</summary>
public static class LoraTestAdapters
{
    public static LoraAdapter Random(string name, ModelConfig model, int rank, long seed, double bScale, IReadOnlyList<LoraTarget>? targets = null, double alpha = 16, bool rsLora = false)
    {
        targets ??= LoraTargets.All;
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var weights = new Dictionary<(int, LoraTarget), (Tensor, Tensor)>();
        for (int layer = 0; layer < model.NumHiddenLayers; layer++)
        {
            foreach (var t in targets)
            {
                var (outF, inF) = LoraTargets.Shape(t, model);
                var a = randn([rank, inF], generator: generator).mul_(1.0 / Math.Sqrt(inF));
                var b = randn([outF, rank], generator: generator).mul_(bScale);
                weights[(layer, t)] = (a, b);
            }
        }
        return new LoraAdapter(name, new LoraAdapterConfig(rank, alpha, targets, rsLora, "stories260K"), model, weights);
    }

    /// <summary>Saves a random adapter as a PEFT directory and returns its path.</summary>
    public static string SaveRandom(string name, ModelConfig model, int rank, long seed, double bScale, IReadOnlyList<LoraTarget>? targets = null, bool rsLora = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"lora-{name}-{Guid.NewGuid():N}");
        using var adapter = Random(name, model, rank, seed, bScale, targets, rsLora: rsLora);
        adapter.Save(dir);
        return dir;
    }
}
