using Platform.Benchmarks;

// Usage: Platform.Benchmarks engine|kernels|decode-compare|serving|kv-transfer|blend|lora|bus [--quick] [--torch] [--rate R] [--model stories] [--quality|--ttft]
var quick = args.Contains("--quick");
// --torch: run without the engine's C# CPU kernels, to see the torch-only numbers.
Platform.Engine.Model.CpuKernels.Enabled = !args.Contains("--torch");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "engine";
switch (which)
{
    case "engine":
        EngineBenchmark.Run(Console.Out, quick);
        return 0;
    case "kernels":
        KernelBenchmark.Run(Console.Out, quick);
        return 0;
    case "decode-compare":
        DecodeComparison.Run(Console.Out, quick);
        return 0;
    case "lora":
        // FlexLLM co-serving: fine-tuning throughput alone vs under decode load, decode ITL with co-serving off/on.
        LoraCoServingBenchmark.Run(Console.Out, quick);
        return 0;
    case "serving":
        // Online serving over HTTP: split vs colocated Prefill/Decode behind a Split-mode gateway (real processes).
        double? rate = ValueOf("--rate") is { } r ? double.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : null;
        return await ServingBenchmark.RunAsync(Console.Out, quick, rate, stories: ValueOf("--model") == "stories");
    case "blend":
        // CacheBlend: quality against full prefill, then TTFT against full prefill and prefix caching.
        bool onlyQuality = args.Contains("--quality"), onlyTtft = args.Contains("--ttft");
        await BlendBenchmark.RunAsync(Console.Out, quick, quality: !onlyTtft, ttft: !onlyQuality);
        return 0;
    case "kv-transfer":
        // Phase split: what moving a 1k-token prompt's KV to Decode adds to TTFT, split vs colocated, unloaded.
        return await KvTransferBenchmark.RunAsync(Console.Out, quick);
    case "bus":
        // Request bus vs direct dispatch: added TTFT of Redis Streams and Kafka (mock cluster), plus each transport's own hop.
        return await BusBenchmark.RunAsync(Console.Out, quick);
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}' (available: engine, kernels, decode-compare, serving, kv-transfer, blend, lora, bus)");
        return 2;
}

// The argument after an option (--rate 2), or null.
string? ValueOf(string option) => args.SkipWhile(a => a != option).Skip(1).FirstOrDefault();
