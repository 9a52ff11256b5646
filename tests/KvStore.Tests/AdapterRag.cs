using System.Net;
using System.Net.Http.Json;
using Platform.ChunkStore.Keys;
using Platform.Engine.Configuration;
using Platform.Engine.Lora;
using Platform.Tokenizers;
using static TorchSharp.torch;

namespace Platform.KvStore.Tests;

/// <summary>RAG under a LoRA adapter: a random adapter for stories260K, its chunk keys, loading it into a Gateway, requests naming it.</summary>
public static class AdapterRag
{
    public const string AdminKey = "admin-key";
    public const string AlphaKey = "key-alpha";
    public const string BetaKey = "key-beta";

    public static Dictionary<string, string?> Keys() => new()
    {
        ["Gateway:AdminApiKeys:0"] = AdminKey,
        ["Gateway:Tenants:alpha:ApiKeys:0"] = AlphaKey,
        ["Gateway:Tenants:beta:ApiKeys:0"] = BetaKey,
        ["ChunkStore:MinCachedTokens"] = "1",
    };

    /// <summary>A PEFT directory with nonzero B on every target, strong enough to change stories260K's greedy tokens.</summary>
    public static string SaveAdapter(string modelDir, long seed = 7, double bScale = 0.08, int rank = 4)
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
        var dir = Path.Combine(Path.GetTempPath(), $"kv-lora-{Guid.NewGuid():N}");
        using var adapter = new LoraAdapter("tuned", new LoraAdapterConfig(rank, 16, LoraTargets.All, false, "stories"), model, weights);
        adapter.Save(dir);
        return dir;
    }

    /// <summary>The key of a chunk computed under the adapter in <paramref name="adapterDir"/>.</summary>
    public static ChunkKey Key(string modelDir, string adapterDir, Tokenizer tokenizer, string text) =>
        ChunkKey.Compute(ModelFingerprint.Of(modelDir, "float32").WithAdapter(AdapterFingerprint.Of(adapterDir)), RagRequests.ChunkIds(tokenizer, text));

    /// <summary>Loads the adapter as "tuned", owned by tenant alpha, through the admin API.</summary>
    public static async Task LoadForAlphaAsync(HttpClient gateway, string adapterDir)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/load_lora_adapter")
        {
            Content = JsonContent.Create(new { lora_name = "tuned", lora_path = adapterDir, tenant = "alpha" }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await gateway.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static object Completion(string model, object prompt, object? rag = null) => rag is null
        ? new { model, prompt, max_tokens = RagRequests.MaxTokens, temperature = 0 }
        : new { model, prompt, max_tokens = RagRequests.MaxTokens, temperature = 0, rag };
}
