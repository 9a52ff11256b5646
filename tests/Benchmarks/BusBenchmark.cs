using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;
using Platform.RequestBus;
using Platform.RequestBus.InProcess;
using Platform.RequestBus.Kafka;
using Platform.RequestBus.Redis;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Platform.Benchmarks;

/// <summary>
/// What the request bus adds to time to first token. One run starts a redis-server, librdkafka's mock Kafka
/// cluster (in this process), one Decode process, a Prefill process per dispatch path (direct gRPC, a Redis
/// Streams worker, a Kafka worker) and a Split-mode Gateway process per path, plus two all-in-one Gateway
/// processes (direct to their engine, and through their in-process bus); then, at a low and a high rate, it
/// sends the same Poisson-timed streaming requests to the five Gateways over the same stretch of time (side by
/// side, same machine conditions; each path's arrivals shifted by a fifth of the mean gap times its index, so
/// that paths rarely compete for the two cores in the same instant) and reports TTFT p50/p99 per path and the
/// bus paths' difference to direct dispatch of their mode. A second table is each transport's own hop (publish,
/// receive, ack), InProcess included.
/// </summary>
public static class BusBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(TextWriter output, bool quick)
    {
        var model = TestModels.Stories260K ?? throw new InvalidOperationException("needs ../shared/models/stories260K/hf beside the repository");
        using var redis = await RedisServer.StartAsync();
        using var kafka = KafkaMockCluster.Start(3);
        string prefix = $"bench{Environment.ProcessId}";
        string[] redisBus = ["--Bus:Kind", "RedisStreams", "--ConnectionStrings:redis", redis.ConnectionString, "--Bus:Prefix", prefix];
        string[] kafkaBus = ["--Bus:Kind", "Kafka", "--ConnectionStrings:kafka", kafka.BootstrapServers, "--Bus:Prefix", prefix,
            "--Bus:KafkaFetchWaitMax", "00:00:00.001"];
        using var decode = await ServiceProcess.StartAsync("Decode", model);
        using var direct = await ServiceProcess.StartAsync("Prefill", model);
        using var redisWorker = await ServiceProcess.StartAsync("Prefill", model, redisBus);
        using var kafkaWorker = await ServiceProcess.StartAsync("Prefill", model, kafkaBus);
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        using var gDirect = await GatewayProcess.StartAsync(model, direct.Address, decode.Address, false, overall.Token);
        using var gRedis = await GatewayProcess.StartAsync(model, redisWorker.Address, decode.Address, false, overall.Token, ["--Gateway:Dispatch", "Bus", .. redisBus]);
        using var gKafka = await GatewayProcess.StartAsync(model, kafkaWorker.Address, decode.Address, false, overall.Token, ["--Gateway:Dispatch", "Bus", .. kafkaBus]);
        // All-in-one: the engine in the Gateway process, straight to it or through its in-process bus (the default).
        using var gLocal = await GatewayProcess.StartAllInOneAsync(model, overall.Token, ["--Gateway:Dispatch", "Direct"]);
        using var gLocalBus = await GatewayProcess.StartAllInOneAsync(model, overall.Token);
        // Each path's added TTFT is against its baseline's (the index of the direct path of the same mode).
        (string Name, string Url, int Baseline)[] paths =
        [
            ("split, direct", gDirect.BaseUrl, 0), ("split, RedisStreams", gRedis.BaseUrl, 0), ("split, Kafka (mock cluster)", gKafka.BaseUrl, 0),
            ("all-in-one, direct", gLocal.BaseUrl, 3), ("all-in-one, in-process bus", gLocalBus.BaseUrl, 3),
        ];

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = Timeout.InfiniteTimeSpan };
        var random = new Random(20261129);
        // Warm-up: JIT, connections, consumer group assignment (the Kafka worker's first message waits for it).
        foreach (var (_, url, _) in paths)
        {
            for (int i = 0; i < 10; i++)
            {
                var warm = await SendAsync(http, url, Prompt(random), overall.Token);
                if (!warm.Ok)
                {
                    throw new InvalidOperationException($"warm-up of {url} failed: {warm.Error}");
                }
            }
        }

        output.WriteLine("## Request bus: added time to first token (infra/bench.sh bus)");
        output.WriteLine();
        output.WriteLine($"Machine: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; model stories260K; one Decode process; per split path one Prefill process and one Split-mode Gateway process; per all-in-one path one Gateway process with its engine; all on loopback.");
        output.WriteLine("Requests: 32-token prompts (random ids), 4 output tokens, greedy, streaming; the same Poisson arrivals on all five paths, each path's shifted by a fifth of the mean gap times its index. Added TTFT: against the direct path of the same mode.");
        output.WriteLine();
        (string Name, double Rate, int Count)[] loads = quick
            ? [("low", 1, 15), ("high", 4, 40)]
            : [("low", 1, 60), ("high", 4, 160)];
        output.WriteLine("| rate | path | ok | TTFT p50 (ms) | TTFT p99 (ms) | added p50 (ms) | added p99 (ms) |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (name, rate, count) in loads)
        {
            var prompts = Enumerable.Range(0, count).Select(_ => Prompt(random)).ToArray();
            var arrivals = Arrivals(random, rate, count);
            // The same arrival pattern on every path, each path's shifted by its share of the mean gap: the paths run
            // side by side over the same stretch of the run, but one path's requests rarely meet another's on the
            // two cores (meeting, they measured each other's compute rather than the bus).
            var runs = paths.Select((p, i) => RunPathAsync(http, p.Url, prompts, arrivals, i / (rate * paths.Length), overall.Token)).ToArray();
            var results = await Task.WhenAll(runs);
            for (int i = 0; i < paths.Length; i++)
            {
                var baseline = results[paths[i].Baseline].Where(r => r.Ok).Select(r => r.TtftMs).ToList();
                double b50 = Percentiles.Of(baseline, 50), b99 = Percentiles.Of(baseline, 99);
                var ttft = results[i].Where(r => r.Ok).Select(r => r.TtftMs).ToList();
                double p50 = Percentiles.Of(ttft, 50), p99 = Percentiles.Of(ttft, 99);
                bool isBaseline = paths[i].Baseline == i;
                string added50 = isBaseline ? "-" : (p50 - b50).ToString("+0.0;-0.0", Inv);
                string added99 = isBaseline ? "-" : (p99 - b99).ToString("+0.0;-0.0", Inv);
                output.WriteLine($"| {name} ({rate.ToString("0.#", Inv)} req/s) | {paths[i].Name} | {ttft.Count}/{count} | {p50:F1} | {p99:F1} | {added50} | {added99} |");
                foreach (var error in results[i].Where(r => !r.Ok).Select(r => r.Error).Distinct().Take(3))
                {
                    output.WriteLine($"|  | error | {error} | | | | |");
                }
            }
        }
        output.WriteLine();
        await HopsAsync(output, redis, kafka, quick ? 100 : 400);
        return 0;
    }

    /// <summary>Each transport alone: publish, a consumer in this process receives, acks. p50/p99 of that round trip.</summary>
    private static async Task HopsAsync(TextWriter output, RedisServer redis, KafkaMockCluster kafka, int count)
    {
        output.WriteLine("Transport hop alone (publish, receive, ack; sequential, in this process):");
        output.WriteLine();
        output.WriteLine("| transport | hops | p50 (ms) | p99 (ms) |");
        output.WriteLine("| --- | --- | --- | --- |");
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var options = new BusOptions { Prefix = $"hop{Environment.ProcessId}", ConsumerGroup = $"hop{Environment.ProcessId}" };
        (string Name, IRequestBus Bus)[] buses =
        [
            ("InProcess", new InProcessRequestBus(options, TimeProvider.System)),
            ("RedisStreams", new RedisStreamsRequestBus(connection, options, TimeProvider.System)),
            .. new[] { 1, 5, 20 }.Select(ms => ($"Kafka mock, fetch wait {ms} ms", (IRequestBus)new KafkaRequestBus(kafka.BootstrapServers,
                new BusOptions { Prefix = $"hop{ms}-{Environment.ProcessId}", ConsumerGroup = $"hop{ms}", KafkaFetchWaitMax = TimeSpan.FromMilliseconds(ms) }, TimeProvider.System))),
        ];
        foreach (var (name, bus) in buses)
        {
            await using (bus)
            {
                await using var consumer = bus.CreateConsumer("hop");
                var samples = new List<double>();
                for (int i = -10; i < count; i++)
                {
                    var request = new BusRequest
                    {
                        SchemaVersion = BusCodec.SchemaVersion,
                        RequestId = $"hop-{i}",
                        Key = $"hop-{i}",
                        Spec = new GenerationSpec { SchemaVersion = 1, RequestId = $"hop-{i}", PromptTokenIds = { Enumerable.Range(1, 32) } },
                        PublishedAt = Timestamp.FromDateTime(DateTime.UtcNow),
                    };
                    var watch = Stopwatch.StartNew();
                    await bus.PublishAsync(request);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    var delivery = await consumer.ReceiveAsync(cts.Token);
                    await consumer.AckAsync(delivery);
                    if (i >= 0)
                    {
                        samples.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }
                output.WriteLine($"| {name} | {samples.Count} | {Percentiles.Of(samples, 50):F2} | {Percentiles.Of(samples, 99):F2} |");
            }
        }
        output.WriteLine();
    }

    private static async Task<Result[]> RunPathAsync(
        HttpClient http, string url, int[][] prompts, double[] arrivals, double offsetSeconds, CancellationToken cancellation)
    {
        var start = Stopwatch.StartNew();
        var tasks = new Task<Result>[prompts.Length];
        for (int i = 0; i < prompts.Length; i++)
        {
            var wait = TimeSpan.FromSeconds(arrivals[i] + offsetSeconds) - start.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellation);
            }
            tasks[i] = SendAsync(http, url, prompts[i], cancellation);
        }
        return await Task.WhenAll(tasks);
    }

    private static int[] Prompt(Random random) => [.. Enumerable.Range(0, 32).Select(_ => random.Next(3, 512))];

    private static double[] Arrivals(Random random, double rate, int count)
    {
        var times = new double[count];
        double t = 0;
        for (int i = 0; i < count; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) / rate;
            times[i] = t;
        }
        return times;
    }

    private sealed record Result(bool Ok, string? Error, double TtftMs);

    private static async Task<Result> SendAsync(HttpClient http, string baseUrl, int[] prompt, CancellationToken overall)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(overall);
        cts.CancelAfter(RequestTimeout);
        var body = new JsonObject
        {
            ["model"] = "stories",
            ["prompt"] = new JsonArray([.. prompt.Select(i => (JsonNode?)JsonValue.Create(i))]),
            ["max_tokens"] = 4,
            ["temperature"] = 0,
            ["stream"] = true,
            ["ignore_eos"] = true,
        };
        var watch = Stopwatch.StartNew();
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/completions")
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cts.Token);
                return new Result(false, $"HTTP {(int)response.StatusCode}: {text[..Math.Min(text.Length, 160)]}", 0);
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            double ttft = double.NaN;
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                {
                    continue;
                }
                var data = line[5..].Trim();
                if (data == "[DONE]")
                {
                    break;
                }
                using var doc = JsonDocument.Parse(data);
                if (doc.RootElement.TryGetProperty("error", out var error))
                {
                    return new Result(false, "stream error: " + error, 0);
                }
                if (double.IsNaN(ttft) && doc.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0)
                {
                    ttft = watch.Elapsed.TotalMilliseconds;
                }
            }
            return double.IsNaN(ttft) ? new Result(false, "no content chunk", 0) : new Result(true, null, ttft);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
            return new Result(false, e.GetType().Name + ": " + e.Message, 0);
        }
    }
}
