using Platform.Engine.Configuration;
using Platform.Engine.Lora;
using static TorchSharp.torch;

namespace Platform.Gateway.Tests;

/// <summary>Random PEFT adapters for the test model, saved the way PEFT saves them.</summary>
public static class LoraAdapterFiles
{
    public static string SaveRandom(string modelDir, string name, long seed, double bScale, int rank = 4)
    {
        var model = ModelConfig.Load(Path.Combine(modelDir, "config.json"));
        var generator = new Generator((ulong)seed);
        var weights = new Dictionary<(int, LoraTarget), (Tensor, Tensor)>();
        for (int layer = 0; layer < model.NumHiddenLayers; layer++)
        {
            foreach (var t in LoraTargets.All)
            {
                var (outF, inF) = LoraTargets.Shape(t, model);
                weights[(layer, t)] = (randn([rank, inF], generator: generator).mul_(1.0 / Math.Sqrt(inF)), randn([outF, rank], generator: generator).mul_(bScale));
            }
        }
        var dir = Path.Combine(Path.GetTempPath(), $"gw-lora-{name}-{Guid.NewGuid():N}");
        using var adapter = new LoraAdapter(name, new LoraAdapterConfig(rank, 16, LoraTargets.All, false, "stories"), model, weights);
        adapter.Save(dir);
        return dir;
    }
}
