using Platform.Benchmarks;

// Usage: Platform.Benchmarks engine|kernels|decode-compare [--quick] [--torch]
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
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}' (available: engine, kernels, decode-compare)");
        return 2;
}
