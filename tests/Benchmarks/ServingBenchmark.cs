using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// Online serving benchmark: replays Azure LLM inference trace request sizes (Splitwise's code and conversation
/// workloads, and both mixed) with Poisson arrivals against the OpenAI-compatible HTTP API of Split-mode gateways, once
/// with prefill/decode disaggregated (split: one Prefill and one Decode process) and once colocated (two Decode
/// processes, each running both phases of the requests routed to it), on the same cores with the same arrivals; every
/// request sent has new random tokens, so neither configuration reuses the other's prefix cache. Measures TTFT,
/// inter-token latency, end-to-end latency, throughput and goodput. The default model has real compute per token (a
/// dummy Llama with hidden 512 and 8 layers, prompts up to 1500 tokens: a 400-token prefill takes about half a second
/// on one thread, a decode step under ten milliseconds), so a prompt computed between decode steps shows in the
/// inter-token latency as it does on GPUs; <c>--model stories</c> serves the tiny stories260K checkpoint instead.
/// </summary>
public static class ServingBenchmark
{
    private const int Seed = 20231116;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A workload: its traces; a request's size comes from one of them, each as likely (mixed: code and conversation).</summary>
    private sealed record Workload(string Name, params string[] Files);

    private sealed record TraceRequest(int PromptTokens, int OutputTokens, double ArrivalSeconds);

    private sealed record Result(bool Ok, string? Error, double TtftMs, double E2eMs, List<double> GapsMs, int Tokens, int Expected);

    /// <summary>
    /// The served model: its directory, what the report calls it, its prompt token ids (BOS, then ids in [3, limit)), and
    /// how a trace's context length becomes a prompt that fits it (divided, then clamped to at most <c>MaxPrompt</c>).
    /// </summary>
    private sealed record ServedModel(string Directory, string Description, int Bos, int TokenLimit, int ContextDivisor, int MaxPrompt, string[] EngineArguments);

    public static async Task<int> RunAsync(TextWriter output, bool quick, double? rateArg, bool stories)
    {
        if (stories)
        {
            if (TestModels.Stories260K is not { } dir)
            {
                Console.Error.WriteLine("serving benchmark: the stories260K checkpoint is missing at ../shared/models/stories260K/hf (beside the repository); nothing to run.");
                return 3;
            }
            return await RunAsync(output, quick, rateArg, new ServedModel(dir, "stories260K", 1, 512, 16, 400, [])).ConfigureAwait(false);
        }
        using var compute = ComputeModel.Create("serving");
        var model = new ServedModel(compute.Directory, "a dummy Llama (hidden 512, 8 layers, 8 heads, byte vocabulary; 25M parameters)",
            ComputeModel.Config.BosTokenId!.Value, 256, 4, 1500, ["--Engine:KvCacheBytes", (1L << 30).ToString(Inv)]);
        return await RunAsync(output, quick, rateArg, model).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(TextWriter output, bool quick, double? rateArg, ServedModel model)
    {
        var traces = Path.GetFullPath(Path.Combine(TestModels.RepositoryRoot, "..", "shared", "traces"));
        string code = Path.Combine(traces, "AzureLLMInferenceTrace_code.csv"), conversation = Path.Combine(traces, "AzureLLMInferenceTrace_conv.csv");
        Workload[] workloads = [new("code", code), new("conversation", conversation), new("mixed", code, conversation)];
        foreach (var file in workloads.SelectMany(w => w.Files).Distinct())
        {
            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"serving benchmark: trace {file} is missing.");
                return 3;
            }
        }
        int count = quick ? 20 : 100;
        int unloadedCount = quick ? 3 : 5;
        // The whole run stops by itself: every request has a timeout, and this bounds everything together.
        using var overall = new CancellationTokenSource(quick ? TimeSpan.FromMinutes(6) : TimeSpan.FromMinutes(20));
        var started = Stopwatch.StartNew();

        output.WriteLine($"# Serving benchmark ({(quick ? "quick" : "full")}): split vs colocated, {model.Description}, {count} requests per configuration and workload");
        output.WriteLine();
        output.WriteLine("Request sizes from the Azure LLM inference traces 2023 (Splitwise), scaled down to the model's context:");
        output.WriteLine($"prompt = clamp(ContextTokens/{model.ContextDivisor}, 8, {model.MaxPrompt}), output = clamp(GeneratedTokens/8, 4, 100); prompts are new random token ids");
        output.WriteLine("for every request sent (nothing to reuse from a prefix cache), `ignore_eos`, greedy. Arrivals: Poisson at the given rate with the same seed for both configurations (trace rows drawn at random).");
        output.WriteLine("Engine processes with 1 CPU thread each, two busy per configuration: split = one Prefill and one Decode process;");
        output.WriteLine("colocated = two Decode processes, the gateway routing every request to one of them for both phases");
        output.WriteLine("(`--Gateway:Routing:ColocateBelowPromptTokens 100000`, most free KV blocks first).");
        output.WriteLine();

        var processes = new List<IDisposable>();
        void KillAll()
        {
            lock (processes)
            {
                foreach (var p in processes)
                {
                    try
                    {
                        p.Dispose();
                    }
                    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                        // Already gone.
                    }
                }
                processes.Clear();
            }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
        try
        {
            var starting = new[]
            {
                ServiceProcess.StartAsync("Prefill", model.Directory, model.EngineArguments),
                ServiceProcess.StartAsync("Decode", model.Directory, model.EngineArguments),
                ServiceProcess.StartAsync("Decode", model.Directory, model.EngineArguments),
            };
            try
            {
                await Task.WhenAll(starting).WaitAsync(overall.Token).ConfigureAwait(false);
            }
            finally
            {
                lock (processes)
                {
                    processes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                }
            }
            var (prefill, decode, secondDecode) = (starting[0].Result, starting[1].Result, starting[2].Result);
            var splitGw = await GatewayProcess.StartAsync(model.Directory, prefill.Address, decode.Address, colocate: false, overall.Token).ConfigureAwait(false);
            lock (processes)
            {
                processes.Add(splitGw);
            }
            var colocGw = await GatewayProcess.StartAsync(model.Directory, prefill.Address, decode.Address, colocate: true, overall.Token,
                ["--Gateway:Decode:Instances:1:Name", "decode-1", "--Gateway:Decode:Instances:1:Address", secondDecode.Address]).ConfigureAwait(false);
            lock (processes)
            {
                processes.Add(colocGw);
            }
            output.WriteLine($"Processes ready after {started.Elapsed.TotalSeconds:F1} s.");
            output.WriteLine();

            (string Name, GatewayProcess Gateway)[] configs = [("split", splitGw), ("colocated", colocGw)];
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            foreach (var workload in workloads)
            {
                var sizes = workload.Files.Select(LoadTrace).ToList();
                // Unloaded: a few sequential requests, through each configuration; the SLO baseline is the better of the two.
                var unloadedReqs = Draw(sizes, unloadedCount, rate: 1, new Random(Seed + 1), model);
                // Warm-up (JIT, connections) that is not measured: twice per configuration, so both colocated processes serve one.
                foreach (var (_, gw) in configs)
                {
                    await Task.WhenAll(SendAsync(http, gw.BaseUrl, unloadedReqs[0], model, overall.Token), SendAsync(http, gw.BaseUrl, unloadedReqs[1], model, overall.Token)).ConfigureAwait(false);
                }
                var unloaded = new Dictionary<string, List<Result>>();
                foreach (var (name, gw) in configs)
                {
                    var list = new List<Result>();
                    foreach (var r in unloadedReqs)
                    {
                        list.Add(await SendAsync(http, gw.BaseUrl, r, model, overall.Token).ConfigureAwait(false));
                    }
                    unloaded[name] = list;
                }
                double baseTtft = configs.Min(c => Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).Select(r => r.TtftMs), 50));
                double baseTbt = configs.Min(c => Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).SelectMany(r => r.GapsMs), 50));
                double baseE2e = configs.Min(c => Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).Select(r => r.E2eMs), 50));
                // Default load: about 1.5x what one sequential stream of these requests sustains.
                double meanUnloadedE2e = unloaded.Values.SelectMany(v => v).Where(r => r.Ok).Select(r => r.E2eMs).DefaultIfEmpty(1000).Average();
                var loadedDraw = Draw(sizes, count, rate: 1, new Random(Seed + 2), model);
                double meanOut = loadedDraw.Average(r => r.OutputTokens);
                double meanUnloadedOut = unloadedReqs.Average(r => r.OutputTokens);
                double estE2e = meanUnloadedE2e / meanUnloadedOut * meanOut;
                double rate = rateArg ?? Math.Round(1.5 * 1000 / Math.Max(estE2e, 1), 2);
                var loaded = Draw(sizes, count, rate, new Random(Seed + 2), model);

                output.WriteLine($"## Workload `{workload.Name}` ({string.Join(" + ", workload.Files.Select(Path.GetFileName))})");
                output.WriteLine();
                output.WriteLine($"{count} requests, Poisson arrivals at {rate.ToString("0.##", Inv)} req/s{(rateArg is null ? " (auto: ~1.5x the unloaded sequential capacity; set with --rate)" : "")}, " +
                    $"mean prompt {loaded.Average(r => r.PromptTokens):F0} tokens, mean output {loaded.Average(r => r.OutputTokens):F0} tokens, arrivals over {loaded[^1].ArrivalSeconds:F1} s.");
                output.WriteLine();
                output.WriteLine($"Unloaded ({unloadedCount} sequential requests, p50; SLO baseline = better of the two): " +
                    string.Join("; ", configs.Select(c => $"{c.Name}: TTFT {Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).Select(r => r.TtftMs), 50):F1} ms, TBT {Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).SelectMany(r => r.GapsMs), 50):F2} ms, E2E {Percentiles.Of(unloaded[c.Name].Where(r => r.Ok).Select(r => r.E2eMs), 50):F0} ms")) + ".");
                output.WriteLine($"SLOs (Splitwise): TTFT p99 <= 6 x {baseTtft:F1} = {6 * baseTtft:F1} ms, TBT p99 <= 5 x {baseTbt:F2} = {5 * baseTbt:F2} ms. " +
                    "Goodput counts requests that finished with TTFT <= 6x and their own p99 inter-token gap <= 5x the baselines.");
                output.WriteLine();

                foreach (var (name, gw) in configs)
                {
                    if (overall.IsCancellationRequested)
                    {
                        output.WriteLine($"(stopped: the overall time limit was reached before `{name}`)");
                        break;
                    }
                    var sw = Stopwatch.StartNew();
                    var tasks = new List<Task<Result>>();
                    foreach (var r in loaded)
                    {
                        var wait = TimeSpan.FromSeconds(r.ArrivalSeconds) - sw.Elapsed;
                        if (wait > TimeSpan.Zero)
                        {
                            try
                            {
                                await Task.Delay(wait, overall.Token).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException)
                            {
                                break;
                            }
                        }
                        tasks.Add(Task.Run(() => SendAsync(http, gw.BaseUrl, r, model, overall.Token)));
                    }
                    var results = await Task.WhenAll(tasks).ConfigureAwait(false);
                    double wall = sw.Elapsed.TotalSeconds;
                    Report(output, workload.Name, name, results, loaded.Count, wall, baseTtft, baseTbt, baseE2e);
                    await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
                }
            }
            output.WriteLine($"Total time {started.Elapsed.TotalSeconds:F0} s.");
            return 0;
        }
        catch (OperationCanceledException) when (overall.IsCancellationRequested)
        {
            output.WriteLine("Stopped: the overall time limit was reached.");
            return 1;
        }
        finally
        {
            KillAll();
        }
    }

    private static void Report(TextWriter output, string workload, string config, Result[] results, int planned, double wall, double baseTtft, double baseTbt, double baseE2e)
    {
        var ok = results.Where(r => r.Ok).ToList();
        var ttft = ok.Select(r => r.TtftMs).ToList();
        var gaps = ok.SelectMany(r => r.GapsMs).ToList();
        var e2e = ok.Select(r => r.E2eMs).ToList();
        int tokens = ok.Sum(r => r.Tokens);
        var good = ok.Where(r => r.TtftMs <= 6 * baseTtft && (r.GapsMs.Count == 0 || Percentiles.Of(r.GapsMs, 99) <= 5 * baseTbt)).ToList();
        double ttftP99 = Percentiles.Of(ttft, 99), tbtP99 = Percentiles.Of(gaps, 99);
        bool sloMet = ok.Count == planned && ttftP99 <= 6 * baseTtft && tbtP99 <= 5 * baseTbt;
        output.WriteLine($"### {workload} / {config}");
        output.WriteLine();
        output.WriteLine("| metric | p50 | p90 | p99 | mean | SLO / unloaded |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | --- |");
        output.WriteLine($"| TTFT (ms) | {Percentiles.Of(ttft, 50):F1} | {Percentiles.Of(ttft, 90):F1} | {ttftP99:F1} | {Mean(ttft):F1} | p99 <= {6 * baseTtft:F1}: {(ttftP99 <= 6 * baseTtft ? "met" : "missed")} |");
        output.WriteLine($"| inter-token (ms) | {Percentiles.Of(gaps, 50):F2} | {Percentiles.Of(gaps, 90):F2} | {tbtP99:F2} | {Mean(gaps):F2} | p99 <= {5 * baseTbt:F2}: {(tbtP99 <= 5 * baseTbt ? "met" : "missed")} |");
        output.WriteLine($"| end-to-end (ms) | {Percentiles.Of(e2e, 50):F0} | {Percentiles.Of(e2e, 90):F0} | {Percentiles.Of(e2e, 99):F0} | {Mean(e2e):F0} | unloaded p50 {baseE2e:F0} |");
        output.WriteLine($"| completed / sent | {ok.Count} / {results.Length} (planned {planned}) | | | | {(sloMet ? "all SLOs met" : "SLOs not all met")} |");
        output.WriteLine($"| throughput | {tokens / wall:F1} output tokens/s | {ok.Count / wall:F2} req/s | | | over {wall:F1} s |");
        output.WriteLine($"| goodput | {good.Sum(r => r.Tokens) / wall:F1} tokens/s | {good.Count / wall:F2} req/s | | | {good.Count} of {results.Length} requests within SLO |");
        output.WriteLine();
        var errors = results.Where(r => !r.Ok).GroupBy(r => r.Error).Select(g => $"{g.Count()} x {g.Key}").ToList();
        if (errors.Count > 0)
        {
            output.WriteLine("Failures: " + string.Join("; ", errors));
            output.WriteLine();
        }
        var shortRuns = ok.Count(r => r.Tokens != r.Expected);
        if (shortRuns > 0)
        {
            output.WriteLine($"Note: {shortRuns} requests returned a different number of tokens than max_tokens.");
            output.WriteLine();
        }
    }

    private static List<(int Context, int Generated)> LoadTrace(string file)
    {
        var rows = new List<(int, int)>();
        foreach (var line in File.ReadLines(file).Skip(1))
        {
            var parts = line.Trim().Split(',');
            if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.Integer, Inv, out int c) && int.TryParse(parts[2], NumberStyles.Integer, Inv, out int g))
            {
                rows.Add((c, g));
            }
        }
        return rows;
    }

    private static List<TraceRequest> Draw(List<List<(int Context, int Generated)>> traces, int count, double rate, Random random, ServedModel model)
    {
        var list = new List<TraceRequest>(count);
        double t = 0;
        for (int i = 0; i < count; i++)
        {
            var rows = traces.Count == 1 ? traces[0] : traces[random.Next(traces.Count)];
            var (context, generated) = rows[random.Next(rows.Count)];
            int prompt = Math.Clamp(context / model.ContextDivisor, 8, model.MaxPrompt);
            int output = Math.Clamp(generated / 8, 4, 100);
            if (i > 0)
            {
                t += -Math.Log(1 - random.NextDouble()) / rate;
            }
            list.Add(new TraceRequest(prompt, output, t));
        }
        return list;
    }

    /// <summary>
    /// Sends one request: BOS, then new random token ids, so that every request sent is new to every engine's prefix
    /// cache (the two configurations replay the same draws on the same processes).
    /// </summary>
    private static async Task<Result> SendAsync(HttpClient http, string baseUrl, TraceRequest request, ServedModel model, CancellationToken overall)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(overall);
        cts.CancelAfter(RequestTimeout);
        var body = new JsonObject
        {
            ["model"] = "stories",
            ["prompt"] = new JsonArray([model.Bos, .. Enumerable.Range(1, request.PromptTokens - 1).Select(_ => (JsonNode?)JsonValue.Create(Random.Shared.Next(3, model.TokenLimit)))]),
            ["max_tokens"] = request.OutputTokens,
            ["temperature"] = 0,
            ["stream"] = true,
            ["ignore_eos"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        var sw = Stopwatch.StartNew();
        var gaps = new List<double>();
        double ttft = double.NaN, last = 0;
        int chunks = 0;
        int? usageTokens = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/completions")
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false);
                return new Result(false, $"HTTP {(int)response.StatusCode}: {text[..Math.Min(text.Length, 200)]}", 0, 0, gaps, 0, request.OutputTokens);
            }
            using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cts.Token).ConfigureAwait(false) is { } line)
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
                double now = sw.Elapsed.TotalMilliseconds;
                using var doc = JsonDocument.Parse(data);
                var root = doc.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    return new Result(false, "stream error: " + error.ToString(), 0, 0, gaps, 0, request.OutputTokens);
                }
                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("completion_tokens", out var ct))
                {
                    usageTokens = ct.GetInt32();
                }
                if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
                {
                    if (chunks == 0)
                    {
                        ttft = now;
                    }
                    else
                    {
                        gaps.Add(now - last);
                    }
                    last = now;
                    chunks++;
                }
            }
            double e2e = sw.Elapsed.TotalMilliseconds;
            if (chunks == 0)
            {
                return new Result(false, "no content chunk", 0, 0, gaps, 0, request.OutputTokens);
            }
            return new Result(true, null, ttft, e2e, gaps, usageTokens ?? chunks, request.OutputTokens);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return new Result(false, overall.IsCancellationRequested ? "stopped (overall limit)" : $"timeout after {RequestTimeout.TotalSeconds:F0} s", 0, 0, gaps, 0, request.OutputTokens);
        }
        catch (HttpRequestException e)
        {
            return new Result(false, "HTTP: " + e.Message, 0, 0, gaps, 0, request.OutputTokens);
        }
        catch (IOException e)
        {
            return new Result(false, "IO: " + e.Message, 0, 0, gaps, 0, request.OutputTokens);
        }
    }

    private static double Mean(List<double> values) => values.Count == 0 ? double.NaN : values.Average();
}
