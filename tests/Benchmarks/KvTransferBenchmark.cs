using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// What moving the prompt's KV from Prefill to Decode adds to time to first token, for 1k-token prompts on an
/// unloaded system: one Prefill and one Decode process, and two Split-mode Gateways over them, one splitting
/// every request and one colocating every request on the Decode process (no KV moved). Requests alternate
/// between the two, one at a time. Reports TTFT p50 of each, the difference, and the split Gateway's own TTFT
/// parts (prefill wait, prefill step, KV transfer after the last layer, the rest) from its histograms.
/// Model: dummy Llama (hidden 512, 8 layers, 8 KV heads, 2048 positions, byte tokenizer), fp32, written to a
/// temporary directory (<see cref="ComputeModel"/>); its KV is 32 KiB per token, 32 MiB for a 1k-token prompt.
/// </summary>
public static class KvTransferBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Parts = ["ttft_queue_seconds", "ttft_prefill_seconds", "ttft_kv_transfer_seconds", "ttft_first_decode_seconds"];

    public static async Task<int> RunAsync(TextWriter output, bool quick)
    {
        using var compute = ComputeModel.Create("kv-transfer");
        string model = compute.Directory;
        string[] engine = ["--Engine:KvCacheBytes", (1L << 30).ToString(Inv), "--Engine:MaxBatchedTokens", "2048"];
        using var overall = new CancellationTokenSource(TimeSpan.FromMinutes(quick ? 10 : 30));
        using var prefill = await ServiceProcess.StartAsync("Prefill", model, engine);
        using var decode = await ServiceProcess.StartAsync("Decode", model, engine);
        using var split = await GatewayProcess.StartAsync(model, prefill.Address, decode.Address, colocate: false, overall.Token);
        using var colocated = await GatewayProcess.StartAsync(model, prefill.Address, decode.Address, colocate: true, overall.Token);
        // Both phases on the Prefill process (the router's "decode pool full" case): the same engine work as the
        // split path's prefill, without the KV stream, so the two tell the transfer's cost from the process's.
        using var onPrefill = await GatewayProcess.StartAsync(model, prefill.Address, decode.Address, colocate: false, overall.Token,
            ["--Gateway:Routing:MinFreeDecodeBlocks", "100000000"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var random = new Random(20261205);
        int[] Prompt(int n) => [.. Enumerable.Range(0, n).Select(_ => random.Next(0, 256))];

        // Warm-up: JIT, connections, the first KV stream.
        for (int i = 0; i < 2; i++)
        {
            await TtftAsync(http, split.BaseUrl, Prompt(256), overall.Token);
            await TtftAsync(http, colocated.BaseUrl, Prompt(256), overall.Token);
            await TtftAsync(http, onPrefill.BaseUrl, Prompt(256), overall.Token);
        }

        output.WriteLine("## KV transfer on the TTFT path (infra/bench.sh kv-transfer)");
        output.WriteLine();
        output.WriteLine($"Machine: {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start. Model: dummy Llama, hidden 512, 8 layers, 8 KV heads, fp32; 1 CPU thread per engine process.");
        output.WriteLine("Requests one at a time, rotating between a Gateway that splits every request, one that colocates every request on the Decode process and one that colocates it on the Prefill process; 1 output token.");
        output.WriteLine();
        output.WriteLine("| prompt tokens | KV MiB | requests | split TTFT p50 (ms) | colocated on Decode TTFT p50 (ms) | colocated on Prefill TTFT p50 (ms) | added by splitting (vs on Decode) | split parts, mean ms: prefill wait / prefill / KV transfer / rest | KV transfer share of split TTFT |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        int repetitions = quick ? 4 : 10;
        foreach (int tokens in new[] { 256, 1000 })
        {
            var before = await ReadPartsAsync(http, split.BaseUrl, overall.Token);
            var splitMs = new List<double>();
            var colocatedMs = new List<double>();
            var onPrefillMs = new List<double>();
            for (int i = 0; i < repetitions; i++)
            {
                // A fresh prompt per request, so no prefix cache hides the prefill.
                splitMs.Add(await TtftAsync(http, split.BaseUrl, Prompt(tokens), overall.Token));
                colocatedMs.Add(await TtftAsync(http, colocated.BaseUrl, Prompt(tokens), overall.Token));
                onPrefillMs.Add(await TtftAsync(http, onPrefill.BaseUrl, Prompt(tokens), overall.Token));
            }
            var after = await ReadPartsAsync(http, split.BaseUrl, overall.Token);
            var meanMs = Parts.Select(p => 1000 * (after[p].Sum - before[p].Sum) / Math.Max(1, after[p].Count - before[p].Count)).ToArray();
            double s50 = Percentiles.Of(splitMs, 50), c50 = Percentiles.Of(colocatedMs, 50);
            double kvMiB = tokens * ComputeModel.Config.NumHiddenLayers * 2.0 * ComputeModel.Config.NumKeyValueHeads * ComputeModel.Config.HeadDim * sizeof(float) / (1 << 20);
            output.WriteLine(string.Create(Inv,
                $"| {tokens} | {kvMiB:F1} | {repetitions} each | {s50:F0} | {c50:F0} | {Percentiles.Of(onPrefillMs, 50):F0} | {s50 - c50:+0;-0} ms ({100 * (s50 - c50) / c50:+0.0;-0.0} %) | {string.Join(" / ", meanMs.Select(m => m.ToString("F1", Inv)))} | {100 * meanMs[2] / meanMs.Sum():F1} % |"));
        }
        return 0;
    }

    /// <summary>Milliseconds until the first streamed token of a one-token completion.</summary>
    private static async Task<double> TtftAsync(HttpClient http, string baseUrl, int[] prompt, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = "stories",
            ["prompt"] = new JsonArray([.. prompt.Select(i => (JsonNode?)JsonValue.Create(i))]),
            ["max_tokens"] = 1,
            ["temperature"] = 0,
            ["ignore_eos"] = true,
            ["stream"] = true,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{baseUrl}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && line.Contains("\"text\"", StringComparison.Ordinal))
            {
                return clock.Elapsed.TotalMilliseconds;
            }
        }
        throw new InvalidOperationException($"{baseUrl}: the stream ended without a token");
    }

    /// <summary>Sum and count of each TTFT part histogram on the Gateway's /metrics.</summary>
    private static async Task<Dictionary<string, (double Sum, double Count)>> ReadPartsAsync(HttpClient http, string baseUrl, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(baseUrl + "/metrics", cancellationToken);
        double Value(string name) => text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && (l.Length == name.Length || l[name.Length] is ' ' or '{'))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], Inv));
        return Parts.ToDictionary(p => p, p => (Value(p + "_sum"), Value(p + "_count")));
    }
}
