using Platform.Benchmarks;

// Usage: Platform.Benchmarks engine [--quick]
var quick = args.Contains("--quick");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "engine";
switch (which)
{
    case "engine":
        EngineBenchmark.Run(Console.Out, quick);
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}' (available: engine)");
        return 2;
}
