using System.Diagnostics;
using Platform.Engine;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.Generate;

// The platform's run command until the services exist: text generation with the engine.
GenerateOptions options;
try
{
    options = GenerateOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"generate: {e.Message}");
    Console.Error.WriteLine(GenerateOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(GenerateOptions.Usage);
    return 0;
}
if (options.CreateDemoModel is { } demoDir)
{
    DemoModel.Create(demoDir);
    Console.Error.WriteLine($"generate: demo model written to {demoDir}");
    return 0;
}
if (options.Model is null)
{
    Console.Error.WriteLine("generate: --model DIR is required (infra/run.sh passes the demo model by default)");
    return 2;
}

try
{
    var loadWatch = Stopwatch.StartNew();
    using var engine = LlmEngine.Load(options.Model, new EngineOptions { Device = options.Device, DType = options.DType });
    var tokenizer = engine.Tokenizer ?? throw new ModelLoadException($"{options.Model}: no tokenizer.json");
    Console.Error.WriteLine($"generate: loaded {engine.Model.Config.Architecture} from {options.Model} in {loadWatch.ElapsedMilliseconds} ms ({options.Device}, {options.DType})");

    var prompt = tokenizer.Encode(options.Prompt);
    // A model that ends a text by predicting its BOS token (stories260K does) would otherwise run on.
    int[] stopIds = tokenizer.BosTokenId is int bos ? [bos] : [];
    var sampling = new SamplingParams
    {
        Temperature = options.Temperature,
        TopP = options.TopP,
        TopK = options.TopK,
        Seed = options.Seed,
        MaxTokens = options.MaxTokens,
        StopStrings = options.Stop,
        StopTokenIds = stopIds,
    };
    var streams = Enumerable.Range(0, options.Count)
        .Select(i => engine.AddRequest(new GenerationRequest($"cli-{i}", prompt, options.Seed is long s ? sampling with { Seed = s + i } : sampling)))
        .ToArray();
    using var cts = new CancellationTokenSource();
    var loop = engine.RunAsync(cts.Token);
    var watch = Stopwatch.StartNew();
    double? ttft = null;
    var finals = new List<GenerationEvent>();
    for (int i = 0; i < streams.Length; i++)
    {
        if (streams.Length > 1)
        {
            Console.WriteLine($"--- completion {i + 1} ---");
        }
        Console.Write(options.Prompt);
        await foreach (var e in streams[i].ReadAllAsync())
        {
            ttft ??= watch.Elapsed.TotalMilliseconds;
            Console.Write(e.TextDelta);
            if (e.Error is { } error)
            {
                Console.Error.WriteLine($"\ngenerate: {error}");
            }
            if (e.IsFinal)
            {
                finals.Add(e);
            }
        }
        Console.WriteLine();
    }
    double seconds = watch.Elapsed.TotalSeconds;
    await cts.CancelAsync();
    await loop;
    int generated = finals.Sum(f => f.Usage!.CompletionTokens);
    Console.Error.WriteLine(
        $"generate: {prompt.Length} prompt tokens, {generated} generated in {seconds:F2} s ({generated / seconds:F1} tokens/s), first token after {ttft:F0} ms, finish: {string.Join(", ", finals.Select(f => f.Finish.ToString()!.ToLowerInvariant()))}");
    return 0;
}
catch (Exception e) when (e is ModelLoadException or Platform.Tokenizers.TokenizerException or ArgumentException)
{
    Console.Error.WriteLine($"generate: {e.Message}");
    return 1;
}
