using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Gateway.Routing;

namespace Platform.Gateway.Tests;

/// <summary>The cluster scheduler's policies on fake load reports and fake time: exact choices, no I/O.</summary>
public sealed class ClusterRouterTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly RoutingOptions _policy = new() { LoadPollInterval = TimeSpan.FromSeconds(1), LoadTimeout = TimeSpan.FromSeconds(2) };
    private readonly InstanceRegistry _registry = new(Options.Create(new ClusterOptions
    {
        Prefill = Pool("p1", "p2"),
        Decode = Pool("d1", "d2", "d3"),
    }));

    private ClusterRouter Router => new(_registry, new StaticMonitor(_policy), _time);

    private static InstancePoolOptions Pool(params string[] names) =>
        new() { Instances = [.. names.Select((n, i) => new InstanceOptions { Name = n, Address = $"http://127.0.0.1:{5000 + i}" })] };

    private InstanceState Instance(string name) => _registry.All.Single(i => i.Name == name);

    private void Report(string name, long queued = 0, int running = 0, int free = 100, int total = 100) =>
        Instance(name).Report(new LoadReport
        {
            QueuedPromptTokens = queued, RunningSequences = running, FreeKvBlocks = free, TotalKvBlocks = total, KvBlockSize = 16,
        }, _time.GetTimestamp());

    private void ReportAll()
    {
        Report("p1");
        Report("p2");
        Report("d1");
        Report("d2");
        Report("d3");
    }

    [Fact]
    public void Prefill_is_join_shortest_queue_counting_prompts_sent_since_the_last_report()
    {
        ReportAll();
        Report("p1", queued: 100);
        Report("p2", queued: 50);
        var first = Router.Route(80);
        Assert.Equal("p2", first.Prefill!.Name);

        ClusterRouter.RecordDispatch(first.Prefill, first.Decode!, 80, first.PromptBlocks);
        Assert.Equal("p1", Router.Route(80).Prefill!.Name); // p2: 50 reported + 80 sent = 130 > 100

        Report("p2", queued: 0); // the new report already counts what was sent
        Assert.Equal("p2", Router.Route(80).Prefill!.Name);
    }

    [Fact]
    public void Decode_is_most_free_blocks_then_fewest_running_then_name()
    {
        ReportAll();
        Report("d1", free: 40, running: 3);
        Report("d2", free: 40, running: 1);
        Report("d3", free: 20, running: 0);
        var decision = Router.Route(100);
        Assert.Equal(RoutingKind.Split, decision.Kind);
        Assert.Equal(["d2", "d1", "d3"], decision.DecodeCandidates.Select(d => d.Name));
        Assert.Equal(7, decision.PromptBlocks);

        // The 7 blocks sent to d2 count until its next report: d1 now has the most headroom.
        ClusterRouter.RecordDispatch(decision.Prefill!, decision.Decode!, 100, decision.PromptBlocks);
        Assert.Equal(["d1", "d2", "d3"], Router.Route(100).DecodeCandidates.Select(d => d.Name));
    }

    [Fact]
    public void Resource_exhausted_fallback_follows_the_candidate_order_then_is_unavailable()
    {
        ReportAll();
        Report("d1", free: 30);
        Report("d2", free: 50);
        Report("d3", free: 10);
        var refused = new HashSet<string>();
        var order = new List<string>();
        for (var decision = Router.Route(16); decision.Kind != RoutingKind.Unavailable; decision = Router.Route(16, null, refused))
        {
            order.Add(decision.Decode!.Name);
            refused.Add(decision.Decode.Name);
        }
        Assert.Equal(["d2", "d1", "d3"], order);
        Assert.Equal(RoutingReason.NoDecodeInstance, Router.Route(16, null, refused).Reason);
    }

    [Fact]
    public void Unhealthy_and_stale_instances_are_skipped_until_they_answer_again()
    {
        Assert.Equal(RoutingReason.NoPrefillInstance, Router.Route(10).Reason); // nothing has reported yet
        ReportAll();
        Report("d1", free: 90);
        Instance("d1").MarkUnhealthy("GetLoad failed: Unavailable");
        Instance("p1").MarkUnhealthy("GetLoad failed: Unavailable");
        var decision = Router.Route(10);
        Assert.Equal("p2", decision.Prefill!.Name);
        Assert.Equal(["d2", "d3"], decision.DecodeCandidates.Select(d => d.Name));

        // Reports older than 3 poll intervals plus the load timeout (5 s here) are not trusted.
        _time.Advance(TimeSpan.FromSeconds(4));
        Report("d3");
        _time.Advance(TimeSpan.FromSeconds(2));
        decision = Router.Route(10);
        Assert.Equal(RoutingKind.Unavailable, decision.Kind);
        Assert.Equal(RoutingReason.NoPrefillInstance, decision.Reason);
        Report("p1");
        Report("d1", free: 90);
        Assert.Equal(["d3", "d1"], Router.Route(10).DecodeCandidates.Select(d => d.Name));
    }

    [Fact]
    public void Prompts_below_the_threshold_run_colocated_on_the_best_decode_instance()
    {
        ReportAll();
        Report("d3", free: 200, total: 200);
        _policy.ColocateBelowPromptTokens = 32;
        var shortPrompt = Router.Route(31);
        Assert.Equal((RoutingKind.Colocated, RoutingReason.ShortPrompt, "d3"), (shortPrompt.Kind, shortPrompt.Reason, shortPrompt.ColocatedOn!.Name));
        var longPrompt = Router.Route(32);
        Assert.Equal((RoutingKind.Split, RoutingReason.Disaggregated), (longPrompt.Kind, longPrompt.Reason));
        Assert.Null(longPrompt.ColocatedOn);
    }

    [Fact]
    public void A_decode_pool_without_headroom_sends_the_request_to_the_mixed_pool()
    {
        ReportAll();
        Report("p1", queued: 500);
        Report("d1", free: 4);
        Report("d2", free: 3);
        Report("d3", free: 1);
        _policy.MinFreeDecodeBlocks = 2;
        // 32 tokens = 2 blocks: d1 keeps 2 free, enough.
        Assert.Equal(RoutingKind.Split, Router.Route(32).Kind);
        // 33 tokens = 3 blocks: no decode instance keeps 2 free; the prompt instance takes both phases.
        var full = Router.Route(33);
        Assert.Equal((RoutingKind.Colocated, RoutingReason.DecodePoolFull, "p2"), (full.Kind, full.Reason, full.ColocatedOn!.Name));
    }

    [Fact]
    public void Split_mode_configuration_names_the_keys_to_fix()
    {
        var result = new ClusterOptionsValidator().Validate(null, new ClusterOptions
        {
            Prefill = new InstancePoolOptions { Instances = [new InstanceOptions { Name = "p", Address = "not a uri" }] },
        });
        Assert.True(result.Failed);
        Assert.Contains("Gateway:Decode:Instances", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Gateway:Prefill:Instances:0:Address", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new RoutingOptionsValidator().Validate(null, new RoutingOptions { MaxDecodeAttempts = 0 }).Failed);
    }

    private sealed class StaticMonitor(RoutingOptions value) : IOptionsMonitor<RoutingOptions>
    {
        public RoutingOptions CurrentValue => value;

        public RoutingOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RoutingOptions, string?> listener) => null;
    }
}
