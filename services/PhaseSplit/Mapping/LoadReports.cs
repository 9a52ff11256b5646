using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;

namespace Platform.PhaseSplit.Mapping;

/// <summary>An instance's <see cref="LoadReport"/> from its engine's stats.</summary>
public static class LoadReports
{
    public const int SchemaVersion = 1;

    public static LoadReport Create(string role, EngineStats stats, int blockSize, long queuedPromptTokens, int transfersInFlight, TimeProvider time) => new()
    {
        SchemaVersion = SchemaVersion,
        Role = role,
        QueuedPromptTokens = queuedPromptTokens,
        RunningSequences = stats.NumRequestsRunning,
        WaitingSequences = stats.NumRequestsWaiting,
        FreeKvBlocks = stats.NumFreeBlocks,
        TotalKvBlocks = stats.NumTotalBlocks,
        KvBlockSize = blockSize,
        KvTransfersInFlight = transfersInFlight,
        ReportedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
    };
}
