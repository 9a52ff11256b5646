using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;

namespace Platform.PhaseSplit.Mapping;

/// <summary>An instance's <see cref="LoadReport"/> from its engine's stats.</summary>
public static class LoadReports
{
    public const int SchemaVersion = 1;

    /// <summary>
    /// The report: queued prompt tokens are the engine's uncomputed prompt tokens (every request it holds,
    /// split or colocated) plus <paramref name="incomingPromptTokens"/>, prompt tokens on their way into the
    /// engine that it does not hold yet (a decode instance's KV still being received).
    /// </summary>
    public static LoadReport Create(string role, EngineStats stats, int blockSize, long incomingPromptTokens, int transfersInFlight, TimeProvider time) => new()
    {
        SchemaVersion = SchemaVersion,
        Role = role,
        QueuedPromptTokens = stats.QueuedPromptTokens + incomingPromptTokens,
        RunningSequences = stats.NumRequestsRunning,
        WaitingSequences = stats.NumRequestsWaiting,
        FreeKvBlocks = stats.NumFreeBlocks,
        TotalKvBlocks = stats.NumTotalBlocks,
        KvBlockSize = blockSize,
        KvTransfersInFlight = transfersInFlight,
        ReportedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
    };
}
