namespace Platform.Gateway.Routing;

/// <summary>
/// One instance's load as the router weighs it: its last report plus what this gateway sent it since.
/// </summary>
/// <param name="PendingPromptTokens">Prompt tokens queued there (reported) plus those sent since the report.</param>
/// <param name="FreeKvBlocks">Free KV blocks reported, less the blocks of prompts sent since the report.</param>
/// <param name="FineTuningJobs">Co-served fine-tuning jobs running in the instance's engine (decode).</param>
public sealed record InstanceLoad(
    long PendingPromptTokens,
    int RunningSequences,
    int WaitingSequences,
    int FreeKvBlocks,
    int TotalKvBlocks,
    int KvBlockSize,
    int FineTuningJobs = 0);
