using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Finetune.Placement;
using Platform.Gateway.Routing;

namespace Platform.Finetune.Tests;

/// <summary>Which Decode instance a fine-tuning job goes to, from load reports: exact choices, no I/O.</summary>
public sealed class DecodePlacementTests
{
    private static readonly HashSet<string> None = [];
    private readonly InstanceRegistry _registry = new(Options.Create(new ClusterOptions
    {
        Decode = new InstancePoolOptions { Instances = [.. new[] { "d1", "d2", "d3" }.Select((n, i) => new InstanceOptions { Name = n, Address = $"http://127.0.0.1:{6000 + i}" })] },
    }));

    private DecodePlacement Placement => new(_registry, new FixedRouting(), TimeProvider.System);

    private void Report(string name, int free, int running = 0, int jobs = 0) =>
        _registry.Decode.Single(i => i.Name == name).Report(
            new LoadReport { FreeKvBlocks = free, TotalKvBlocks = 100, KvBlockSize = 16, RunningSequences = running, FineTuningJobs = jobs },
            TimeProvider.System.GetTimestamp());

    [Fact]
    public void The_instance_with_the_most_kv_headroom_and_no_job_gets_the_job()
    {
        Report("d1", free: 40);
        Report("d2", free: 90, jobs: 1);
        Report("d3", free: 70, running: 3);
        var placement = Placement;
        Assert.Equal("d3", placement.Reserve(null, None)!.Name);
        // d3 is now training a job of this service; d2 reports one of its own.
        Assert.Equal("d1", placement.Reserve(null, None)!.Name);
        Assert.Null(placement.Reserve(null, None));
        Assert.Contains("d2: training another job", placement.Describe(), StringComparison.Ordinal);
        placement.Release(_registry.Decode.Single(i => i.Name == "d3"));
        Assert.Equal("d3", placement.Reserve(null, None)!.Name);
    }

    [Fact]
    public void Ties_go_to_the_fewest_sequences_then_the_name_and_refusals_and_silent_instances_are_skipped()
    {
        Report("d1", free: 50, running: 2);
        Report("d2", free: 50, running: 1);
        Report("d3", free: 50, running: 1);
        Assert.Equal("d2", Placement.Reserve(null, None)!.Name);
        Assert.Equal("d3", Placement.Reserve(null, new HashSet<string> { "d2" })!.Name);
        _registry.Decode.Single(i => i.Name == "d2").MarkUnhealthy("connection refused");
        _registry.Decode.Single(i => i.Name == "d3").MarkUnhealthy("connection refused");
        Assert.Equal("d1", Placement.Reserve(null, None)!.Name);
        Assert.Contains("d2: not answering (connection refused)", Placement.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_goes_back_to_the_instance_it_runs_on_even_though_that_one_reports_it()
    {
        Report("d1", free: 90);
        Report("d2", free: 10, jobs: 1);
        Report("d3", free: 50);
        Assert.Equal("d2", Placement.Reserve("d2", None)!.Name);
        Assert.Equal("d1", Placement.Reserve("gone", None)!.Name);
    }

    private sealed class FixedRouting : IOptionsMonitor<RoutingOptions>
    {
        public RoutingOptions CurrentValue { get; } = new() { LoadPollInterval = TimeSpan.FromSeconds(1), LoadTimeout = TimeSpan.FromSeconds(2) };

        public RoutingOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<RoutingOptions, string?> listener) => null;
    }
}
