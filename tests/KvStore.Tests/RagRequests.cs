using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.ChunkStore.Keys;
using Platform.Tokenizers;
using StackExchange.Redis;

namespace Platform.KvStore.Tests;

/// <summary>What the RAG tests send and check: the equivalent plain prompt's token ids, the chunk keys, Redis polling.</summary>
public static class RagRequests
{
    public const int MaxTokens = 24;

    public static Tokenizer Tokenizer(string dir) => Platform.Tokenizers.Tokenizer.FromDirectory(dir);

    public static int[] ChunkIds(Tokenizer tokenizer, string text) => tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: false);

    /// <summary>The prompt a completions RAG request assembles: [BOS] + each chunk's ids + the question's ids.</summary>
    public static int[] PlainPrompt(Tokenizer tokenizer, IEnumerable<string> chunks, string question) =>
        [tokenizer.BosTokenId!.Value, .. chunks.SelectMany(c => ChunkIds(tokenizer, c)), .. tokenizer.Encode(question, addSpecialTokens: false, parseSpecialTokens: true)];

    public static ChunkKey Key(string dir, Tokenizer tokenizer, string text) =>
        ChunkKey.Compute(ModelFingerprint.Of(dir, "float32"), ChunkIds(tokenizer, text));

    public static object Completion(object prompt, object? rag = null) => rag is null
        ? new { model = "stories", prompt, max_tokens = MaxTokens, temperature = 0 }
        : new { model = "stories", prompt, max_tokens = MaxTokens, temperature = 0, rag };

    public static object ByText(IEnumerable<string> chunks, double ratio = 1.0, bool writeBack = true) =>
        new { chunks = chunks.Select(c => new { text = c }).ToArray(), recompute_ratio = ratio, write_back = writeBack };

    public static object ById(IEnumerable<ChunkKey> keys, double ratio = 1.0) =>
        new { chunks = keys.Select(k => new { id = k.Id }).ToArray(), recompute_ratio = ratio };

    public static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient http, string path, object body, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>The completion's text, asserting a 200.</summary>
    public static async Task<(string Text, JsonNode Body)> CompleteAsync(HttpClient http, object body, string? apiKey = null)
    {
        var (status, json) = await PostAsync(http, "/v1/completions", body, apiKey);
        Assert.True(status == HttpStatusCode.OK, json.ToJsonString());
        return (json["choices"]![0]!["text"]!.GetValue<string>(), json);
    }

    /// <summary>Waits until every key exists in Redis (the write-back runs after the request).</summary>
    public static async Task WaitStoredAsync(string redis, string tenant, IEnumerable<ChunkKey> keys)
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = admin.GetDatabase();
        using var cts = new CancellationTokenSource(TestHost.Timeout);
        foreach (var key in keys)
        {
            while (!await db.KeyExistsAsync(TenantNamespace.Of(tenant).RedisKey(key)))
            {
                await Task.Delay(50, cts.Token);
            }
        }
    }

    public static async Task<int> CountKeysAsync(string redis, string pattern)
    {
        using var admin = await ConnectionMultiplexer.ConnectAsync(redis);
        return admin.GetServers()[0].Keys(pattern: pattern).Count();
    }
}
