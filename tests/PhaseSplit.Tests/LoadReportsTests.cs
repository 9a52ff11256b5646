using Platform.Engine.Serving;
using Platform.PhaseSplit.Mapping;

namespace Platform.PhaseSplit.Tests;

public sealed class LoadReportsTests
{
    [Fact]
    public void Queued_prompt_tokens_are_the_engines_uncomputed_prompt_plus_what_is_still_arriving()
    {
        var stats = new EngineStats(2, 3, 0.5, 10, 20, 0, 0, 0, 0, 0, 0) { QueuedPromptTokens = 700 };
        var report = LoadReports.Create("decode", stats, 16, incomingPromptTokens: 48, transfersInFlight: 1, TimeProvider.System);
        Assert.Equal(748, report.QueuedPromptTokens);
        Assert.Equal(2, report.RunningSequences);
        Assert.Equal(3, report.WaitingSequences);
        Assert.Equal(10, report.FreeKvBlocks);
        Assert.Equal(1, report.KvTransfersInFlight);

        var prefill = LoadReports.Create("prefill", stats, 16, incomingPromptTokens: 0, transfersInFlight: 0, TimeProvider.System);
        Assert.Equal(700, prefill.QueuedPromptTokens);
    }
}
