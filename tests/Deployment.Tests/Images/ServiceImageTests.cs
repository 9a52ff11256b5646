#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Platform.Deployment.Tests.Images;

/// <summary>
/// The service images built from their Dockerfiles and run as containers on a real Docker engine: their health
/// checks, their non-root user, the split path between containers (KV over the container network) against the
/// colocated answer, running streams drained on <c>docker stop</c>, the fine-tuning volume, the chunk store on Redis,
/// and compose's build of the same images.
/// </summary>
[Collection(ServiceImagesCollection.Name)]
public sealed class ServiceImageTests(ServiceImages images)
{
    // The Microsoft images' "app" user (APP_UID), which infra/images' stand-ins copy.
    private const string AppUid = "1654";
    private const string ModelMount = "/models/model";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task SplitAcrossContainersAnswersAsTheColocatedGateway()
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        var docker = images.Docker;
        await using var network = await DockerNetwork.CreateAsync(docker);
        string[] engine = ["--network", network.Name, "-v", $"{model}:{ModelMount}:ro", "-e", "Engine__KvCacheBytes=67108864"];
        string[] gateway = [.. engine, "-p", "127.0.0.1::8000", "-e", $"Gateway__ModelPath={ModelMount}", "-e", "Gateway__ServedModelName=stories"];

        await using var prefill = await RunningContainer.StartAsync(docker, "prefill", ServiceImages.Image("Prefill"),
            [.. engine, "--network-alias", "prefill", "-e", $"Prefill__ModelPath={ModelMount}"]);
        await using var decode = await RunningContainer.StartAsync(docker, "decode", ServiceImages.Image("Decode"),
            [.. engine, "--network-alias", "decode", "-e", $"Decode__ModelPath={ModelMount}"]);
        // Direct gRPC between the containers (no Dapr sidecar here); every prompt goes through Prefill and Decode.
        await using var split = await RunningContainer.StartAsync(docker, "gateway-split", ServiceImages.Image("Gateway"),
        [
            .. gateway, "-e", "Gateway__Mode=Split",
            "-e", "Gateway__Prefill__Instances__0__Name=prefill-0", "-e", "Gateway__Prefill__Instances__0__Address=http://prefill:8081",
            "-e", "Gateway__Decode__Instances__0__Name=decode-0", "-e", "Gateway__Decode__Instances__0__Address=http://decode:8081",
            "-e", "Gateway__Routing__ColocateBelowPromptTokens=0",
        ]);
        await using var colocated = await RunningContainer.StartAsync(docker, "gateway-local", ServiceImages.Image("Gateway"), gateway);
        RunningContainer[] all = [prefill, decode, split, colocated];
        await Task.WhenAll(all.Select(c => c.WaitHealthyAsync()));
        // Healthy, not Degraded: the split Gateway has polled Prefill and Decode.
        await split.WaitUntilAnswersAsync("http://127.0.0.1:8000/health", "Healthy");

        foreach (var container in all)
        {
            Assert.Equal(AppUid, (await container.ExecAsync("id", "-u")).Trim());
        }
        foreach (var prompt in new[] { "Once upon a time", "Lily found a red ball in the park." })
        {
            var viaSplit = await GreedyChatAsync(await split.PublishedAsync(8000), prompt);
            var viaColocated = await GreedyChatAsync(await colocated.PublishedAsync(8000), prompt);
            Assert.False(string.IsNullOrEmpty(viaSplit));
            Assert.Equal(viaColocated, viaSplit);
        }
        // The prompts' KV crossed the container network from Prefill to Decode.
        var decodeMetrics = await decode.ExecAsync("curl", "-fsS", "http://127.0.0.1:8080/metrics");
        Assert.True(PrometheusText.Sum(decodeMetrics, "kv_transfer_bytes_total") > 0, decodeMetrics);
    }

    [SkippableFact]
    public async Task DockerStopLetsTheRunningStreamsFinish()
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        const int streams = 8, maxTokens = 440;  // with the chat template's ~50 prompt tokens, inside the 512-token context
        await using var gateway = await RunningContainer.StartAsync(images.Docker, "gateway-drain", ServiceImages.Image("Gateway"),
        [
            "-p", "127.0.0.1::8000", "-v", $"{model}:{ModelMount}:ro", "--cpus", "0.5",
            "-e", $"Gateway__ModelPath={ModelMount}", "-e", "Gateway__ServedModelName=stories", "-e", "shutdownTimeoutSeconds=60",
        ]);
        await gateway.WaitHealthyAsync();
        var client = Chat(await gateway.PublishedAsync(8000));
        var started = Enumerable.Range(0, streams).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var runs = Enumerable.Range(0, streams).Select(async i =>
        {
            var finish = default(ChatFinishReason?);
            var text = new StringBuilder();
            // Sampled with a seed: a story of maxTokens tokens, no early end of sequence.
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage($"Story {i}: once upon a time")],
                new ChatCompletionOptions { Temperature = 1, Seed = i + 1, MaxOutputTokenCount = maxTokens }))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                    started[i].TrySetResult();
                }
                finish ??= update.FinishReason;
            }
            return (Finish: finish, Text: text.ToString());
        }).ToList();
        // Every stream under way, or one ended first (its failure or its early end shows below).
        await Task.WhenAny(Task.WhenAll(started.Select(s => s.Task)), Task.WhenAny(runs)).WaitAsync(RequestTimeout);
        // SIGTERM while the streams are under way: on half a core, 8 x 440 tokens take several seconds.
        Assert.All(runs.Where(r => r.IsFaulted), r => Assert.Fail(r.Exception!.ToString()));
        int underWay = runs.Count(r => !r.IsCompleted);
        Assert.True(underWay >= streams / 2, $"only {underWay} of {streams} streams were still running at the stop");
        var exitCode = await gateway.StopAsync(TimeSpan.FromSeconds(60));

        var results = await Task.WhenAll(runs);
        Assert.Equal(0, exitCode);
        Assert.All(results, r => Assert.Equal(ChatFinishReason.Length, r.Finish));
        Assert.All(results, r => Assert.True(r.Text.Length > maxTokens, $"{r.Text.Length} characters for {maxTokens} tokens"));
    }

    [SkippableFact]
    public async Task FinetuneImageTrainsOnItsVolumeKeepsTheJobAcrossContainersAndStopsCleanly()
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        var docker = images.Docker;
        var volume = $"platform-test-finetune-{Guid.NewGuid().ToString("N")[..8]}";
        string[] options =
        [
            "-p", "127.0.0.1::8000", "-v", $"{model}:{ModelMount}:ro", "-v", $"{volume}:/data/finetune",
            "-e", $"Gateway__ModelPath={ModelMount}", "-e", "Gateway__ServedModelName=stories",
            "-e", "Engine__KvCacheBytes=8388608", "-e", "Finetune__MaxForwardTokens=32", "-e", "Finetune__TargetIterationMs=0",
        ];
        try
        {
            string job;
            await using (var first = await RunningContainer.StartAsync(docker, "finetune", ServiceImages.Image("Finetune"), options))
            {
                await first.WaitHealthyAsync();
                using var http = Client(await first.PublishedAsync(8000));
                var ended = await FineTuning.RunJobAsync(http, "stories");
                Assert.Equal("succeeded", (string?)ended["status"]);
                job = (string)ended["id"]!;
                // Kestrel and the engine drain on SIGTERM; the process exits 0 well inside docker's grace period.
                Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(60)));
            }
            // A new container on the same volume (a rollout, a rescheduled pod) knows the finished job and its files.
            await using var second = await RunningContainer.StartAsync(docker, "finetune", ServiceImages.Image("Finetune"), options);
            await second.WaitHealthyAsync();
            using var again = Client(await second.PublishedAsync(8000));
            var kept = await (await again.GetAsync($"/v1/fine_tuning/jobs/{job}")).ReadOkJsonAsync();
            Assert.Equal("succeeded", (string?)kept["status"]);
            Assert.Equal(AppUid, (await second.ExecAsync("stat", "-c", "%u", "/data/finetune")).Trim());
        }
        finally
        {
            await docker.RunAsync(RepositoryPaths.Root, "volume", "rm", "-f", volume);
        }
    }

    [SkippableFact]
    public async Task KvStoreImageIngestsChunksIntoRedis()
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        Skip.If(RedisServer.FindBinary() is null, "needs redis-server (Debian's redis-server package)");
        // Redis on this machine, reached from the container through the bridge's gateway address.
        using var redis = await RedisServer.StartAsync("--bind", "0.0.0.0", "--protected-mode", "no");
        await using var kvstore = await RunningContainer.StartAsync(images.Docker, "kvstore", ServiceImages.Image("KvStore"),
        [
            "-p", "127.0.0.1::8080", "--add-host", "host.docker.internal:host-gateway",
            "-v", $"{model}:{ModelMount}:ro", "-e", $"KvStore__ModelPath={ModelMount}", "-e", "Engine__KvCacheBytes=8388608",
            "-e", $"ConnectionStrings__redis=host.docker.internal:{redis.Port}",
        ]);
        await kvstore.WaitHealthyAsync();
        using var http = Client(await kvstore.PublishedAsync(8080));

        var response = await http.PostAsJsonAsync("/v1/ingest", new
        {
            tenant = "acme", chunk_tokens = 16,
            documents = new[] { new { id = "story", text = "Tom had a little dog. The dog liked to run in the big green park every day." } },
        });
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(response.StatusCode == HttpStatusCode.OK, string.Join('\n', lines));
        var chunks = lines.Select(l => JsonNode.Parse(l)!["chunk"]).OfType<JsonNode>().ToList();
        Assert.NotEmpty(chunks);
        Assert.All(chunks, c => Assert.Equal("stored", (string?)c["outcome"]));

        // Read back from Redis through the service: the chunk's tokens and the model's layer count.
        var lookup = await (await http.GetAsync($"/v1/chunks/{(string)chunks[0]["chunk_id"]!}?tenant=acme")).ReadOkJsonAsync();
        var chunk = Assert.Single(lookup["chunks"]!.AsArray())!;
        Assert.True((bool)chunk["found"]!, lookup.ToJsonString());
        Assert.Equal((int)chunks[0]["token_count"]!, chunk["token_ids"]!.AsArray().Count);
        Assert.True((int)chunk["num_layers"]! > 0, lookup.ToJsonString());
    }

    [SkippableFact]
    public async Task ComposeBuildsTheImagesOfItsServices()
    {
        images.Require();
        var model = TestModels.RequireStories260K();
        // Through infra/compose.sh as users run it (engine, base images, BuildKit); the layers are the image tests' own,
        // so this costs seconds after the fixture's build.
        var (code, output) = await ExternalTool.Find("env")!.RunAsync(RepositoryPaths.Root, TimeSpan.FromMinutes(20),
            $"MODEL_DIR={model}", $"IMAGE_TAG={ServiceImages.Tag}", "IMAGE_REGISTRY=platform", "bash", "infra/compose.sh", "build");
        Assert.True(code == 0, output);
        var services = (Dictionary<object, object?>)YamlDocuments.LoadMerged(File.ReadAllText(RepositoryPaths.Compose))["services"]!;
        var built = services.Values.Cast<Dictionary<object, object?>>().Where(s => s.ContainsKey("build"))
            .Select(s => ((string)s["image"]!).Replace("${IMAGE_REGISTRY:-platform}", "platform", StringComparison.Ordinal)
                .Replace("${IMAGE_TAG:-dev}", ServiceImages.Tag, StringComparison.Ordinal))
            .Distinct().ToList();
        Assert.Equal(4, built.Count);  // gateway (the Finetune image), prefill, decode, kvstore
        foreach (var image in built)
        {
            var (inspected, text) = await images.Docker.RunAsync(RepositoryPaths.Root, "image", "inspect", "--format", "{{.Config.User}}", image);
            Assert.True(inspected == 0, text);
            Assert.Equal(AppUid, text.Trim());
        }
    }

    private static async Task<string> GreedyChatAsync(Uri gateway, string prompt)
    {
        ChatCompletion completion = await Chat(gateway).CompleteChatAsync([new UserChatMessage(prompt)],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });
        return completion.Content[0].Text;
    }

    /// <summary>The OpenAI SDK's chat client for the served model; retries off, so errors surface at once.</summary>
    private static ChatClient Chat(Uri gateway) => new("stories", new ApiKeyCredential("unused"), new OpenAIClientOptions
    {
        Endpoint = new Uri(gateway, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = RequestTimeout,
    });

    private static HttpClient Client(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = RequestTimeout };
}
