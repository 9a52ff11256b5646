using Microsoft.Extensions.Options;
using Platform.Gateway.Routing;

namespace Platform.Finetune.Placement;

/// <summary>
/// Chooses the Decode instance a fine-tuning job trains on, from the load reports the Gateway polls: the instance
/// the job already runs on when it answers (a restart of this service re-attaches), otherwise a healthy instance
/// without a job (its engine trains one at a time; <c>LoadReport.fine_tuning_jobs</c> and the jobs placed from here)
/// with the most KV headroom (free blocks, then fewest sequences, then name): the least loaded decode engine has the
/// most compute left over for training tokens.
/// </summary>
public sealed class DecodePlacement(InstanceRegistry registry, IOptionsMonitor<RoutingOptions> routing, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _reserved = new(StringComparer.Ordinal);

    public int InstanceCount => registry.Decode.Count;

    public IEnumerable<string> InstanceNames => registry.Decode.Select(i => i.Name);

    /// <summary>How long an instance that stops answering is waited for before its work goes elsewhere (the router's staleness).</summary>
    public TimeSpan Grace => routing.CurrentValue.StaleAfter;

    /// <summary>Picks an instance and reserves it for one job until <see cref="Release"/>; null when none has room now.</summary>
    public InstanceState? Reserve(string? preferred, IReadOnlySet<string> excluded)
    {
        // As the router: a report older than a few poll rounds means the instance cannot be reached.
        var staleAfter = routing.CurrentValue.StaleAfter;
        lock (_lock)
        {
            var candidates = registry.Decode
                .Where(i => !_reserved.Contains(i.Name) && !excluded.Contains(i.Name))
                .Select(i => (Instance: i, Load: i.Load(time, staleAfter)))
                .Where(c => c.Load is not null)
                .Select(c => (c.Instance, Load: c.Load!))
                .ToList();
            var pick = candidates.FirstOrDefault(c => c.Instance.Name == preferred).Instance
                ?? candidates
                    .Where(c => c.Load.FineTuningJobs == 0)
                    .OrderByDescending(c => c.Load.FreeKvBlocks)
                    .ThenBy(c => c.Load.RunningSequences + c.Load.WaitingSequences)
                    .ThenBy(c => c.Instance.Name, StringComparer.Ordinal)
                    .Select(c => c.Instance)
                    .FirstOrDefault();
            if (pick is not null)
            {
                _reserved.Add(pick.Name);
            }
            return pick;
        }
    }

    public void Release(InstanceState instance)
    {
        lock (_lock)
        {
            _reserved.Remove(instance.Name);
        }
    }

    /// <summary>Why no instance has room, for the job's event and error.</summary>
    public string Describe()
    {
        var staleAfter = routing.CurrentValue.StaleAfter;
        lock (_lock)
        {
            return string.Join("; ", registry.Decode.Select(i => i.Load(time, staleAfter) switch
            {
                null => $"{i.Name}: not answering ({i.LastError})",
                _ when _reserved.Contains(i.Name) => $"{i.Name}: training another job of this service",
                { FineTuningJobs: > 0 } => $"{i.Name}: training another job",
                _ => $"{i.Name}: refused the job",
            }));
        }
    }
}
