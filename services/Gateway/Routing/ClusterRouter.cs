using Microsoft.Extensions.Options;

namespace Platform.Gateway.Routing;

/// <summary>
/// Splitwise's cluster scheduler: at arrival, each request gets a prefill instance by join-shortest-queue on
/// pending prompt tokens and a decode instance by KV headroom (most free blocks, then fewest running, then
/// name), with conditional disaggregation: short prompts, or a decode pool without headroom, run colocated.
/// Plain CPU code over the registry's last load reports; no I/O.
/// </summary>
public sealed class ClusterRouter(InstanceRegistry registry, IOptionsMonitor<RoutingOptions> options, TimeProvider time)
{
    /// <param name="promptTokens">The prompt's length.</param>
    /// <param name="excludedPrefill">Prefill instances already tried for this request.</param>
    /// <param name="excludedDecode">Decode instances that refused this request or could not be reached.</param>
    public RoutingDecision Route(int promptTokens, IReadOnlySet<string>? excludedPrefill = null, IReadOnlySet<string>? excludedDecode = null)
    {
        var policy = options.CurrentValue;
        // A report older than a few poll rounds means the poller cannot reach the instance either.
        var staleAfter = policy.StaleAfter;
        var prefill = registry.Prefill
            .Where(i => excludedPrefill?.Contains(i.Name) != true)
            .Select(i => (Instance: i, Load: i.Load(time, staleAfter)))
            .Where(c => c.Load is not null)
            .OrderBy(c => c.Load!.PendingPromptTokens)
            .ThenBy(c => c.Load!.RunningSequences + c.Load!.WaitingSequences)
            .ThenBy(c => c.Instance.Name, StringComparer.Ordinal)
            .Select(c => c.Instance)
            .FirstOrDefault();
        var decode = registry.Decode
            .Where(i => excludedDecode?.Contains(i.Name) != true)
            .Select(i => (Instance: i, Load: i.Load(time, staleAfter)))
            .Where(c => c.Load is not null)
            .Select(c => (c.Instance, Load: c.Load!))
            .OrderByDescending(c => c.Load.FreeKvBlocks)
            .ThenBy(c => c.Load.RunningSequences)
            .ThenBy(c => c.Instance.Name, StringComparer.Ordinal)
            .ToList();
        int blockSize = decode.Count > 0 ? decode[0].Load.KvBlockSize : 16;
        int promptBlocks = (promptTokens + blockSize - 1) / blockSize;
        InstanceState[] candidates = [.. decode.Select(c => c.Instance)];
        if (prefill is null)
        {
            return new RoutingDecision(RoutingKind.Unavailable, RoutingReason.NoPrefillInstance, null, candidates, null, promptBlocks);
        }
        if (decode.Count == 0)
        {
            return new RoutingDecision(RoutingKind.Unavailable, RoutingReason.NoDecodeInstance, prefill, candidates, null, promptBlocks);
        }
        if (promptTokens < policy.ColocateBelowPromptTokens)
        {
            // A short prompt is cheap to compute where it decodes; its KV transfer would cost more than it saves.
            return new RoutingDecision(RoutingKind.Colocated, RoutingReason.ShortPrompt, prefill, candidates, candidates[0], promptBlocks);
        }
        if (decode[0].Load.FreeKvBlocks - promptBlocks < policy.MinFreeDecodeBlocks)
        {
            // The token pool is full: the prompt instance takes both phases (Splitwise's mixed pool).
            return new RoutingDecision(RoutingKind.Colocated, RoutingReason.DecodePoolFull, prefill, candidates, prefill, promptBlocks);
        }
        return new RoutingDecision(RoutingKind.Split, RoutingReason.Disaggregated, prefill, candidates, null, promptBlocks);
    }

    /// <summary>Counts a request sent to <paramref name="prefill"/> and <paramref name="decode"/> until their next reports.</summary>
    public static void RecordDispatch(InstanceState prefill, InstanceState decode, int promptTokens, int promptBlocks)
    {
        prefill.AddSent(promptTokens, 0);
        decode.AddSent(0, promptBlocks);
    }
}
