using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Invocation;

namespace Platform.Gateway.Routing;

/// <summary>
/// A configured instance's health and load. Healthy from its first GetLoad answer until a call to it fails
/// or its last report grows stale; healthy again with its next answer.
/// </summary>
public sealed class InstanceState
{
    private readonly Lock _lock = new();
    private LoadReport? _report;
    private long _reportedAt;
    private bool _healthy;
    private long _sentPromptTokens;
    private int _sentBlocks;

    public InstanceState(string name, InstanceRole role, ServiceTarget target)
    {
        Name = name;
        Role = role;
        Target = target;
    }

    public string Name { get; }

    public InstanceRole Role { get; }

    public ServiceTarget Target { get; }

    public bool IsHealthy
    {
        get
        {
            lock (_lock)
            {
                return _healthy;
            }
        }
    }

    /// <summary>Why it is not healthy (never answered, a failed call or poll), for logs and 503 messages.</summary>
    public string? LastError { get; private set; } = "no load report yet";

    /// <summary>The load, or null while the instance is unhealthy or its report is older than <paramref name="staleAfter"/>.</summary>
    public InstanceLoad? Load(TimeProvider time, TimeSpan staleAfter)
    {
        lock (_lock)
        {
            if (!_healthy || _report is not { } r || time.GetElapsedTime(_reportedAt) > staleAfter)
            {
                return null;
            }
            return new InstanceLoad(r.QueuedPromptTokens + _sentPromptTokens, r.RunningSequences, r.WaitingSequences,
                r.FreeKvBlocks - _sentBlocks, r.TotalKvBlocks, r.KvBlockSize > 0 ? r.KvBlockSize : 16, r.FineTuningJobs);
        }
    }

    /// <summary>A fresh report: healthy, and what was sent before it is now counted in it.</summary>
    public void Report(LoadReport report, long timestamp)
    {
        lock (_lock)
        {
            _report = report;
            _reportedAt = timestamp;
            _healthy = true;
            _sentPromptTokens = 0;
            _sentBlocks = 0;
            LastError = null;
        }
    }

    /// <summary>A poll or call failed: skipped until it answers a poll again.</summary>
    public void MarkUnhealthy(string reason)
    {
        lock (_lock)
        {
            _healthy = false;
            LastError = reason;
        }
    }

    /// <summary>This gateway sent it a prompt (prefill) or a prompt's KV (decode) since its last report.</summary>
    public void AddSent(long promptTokens, int blocks)
    {
        lock (_lock)
        {
            _sentPromptTokens += promptTokens;
            _sentBlocks += blocks;
        }
    }

    public override string ToString() => $"{Role} '{Name}' ({Target})";
}
