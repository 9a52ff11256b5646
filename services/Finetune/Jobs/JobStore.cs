using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Finetune.Hosting;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Jobs;

/// <summary>
/// Jobs and their events on disk (<c>{DataPath}/jobs/{id}/job.json</c>, <c>events.jsonl</c>), with their
/// checkpoint (<c>checkpoint/</c>) and final adapter (<c>adapter/</c>) next to them. Read back at start, so a
/// restarted process knows every job and resumes the unfinished ones.
/// </summary>
public sealed class JobStore
{
    private readonly string _dir;
    private readonly ConcurrentDictionary<string, FineTuningJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<JobEvent>> _events = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public JobStore(IOptions<FinetuneOptions> options)
    {
        _dir = Path.Combine(Path.GetFullPath(options.Value.DataPath), "jobs");
        Directory.CreateDirectory(_dir);
        foreach (var jobDir in Directory.EnumerateDirectories(_dir))
        {
            var file = Path.Combine(jobDir, "job.json");
            if (File.Exists(file) && JsonSerializer.Deserialize<FineTuningJob>(File.ReadAllText(file), FinetuneJson.Options) is { } job)
            {
                _jobs[job.Id] = job;
                var eventsFile = Path.Combine(jobDir, "events.jsonl");
                _events[job.Id] = File.Exists(eventsFile)
                    ? [.. File.ReadAllLines(eventsFile).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<JobEvent>(l, FinetuneJson.Options)!)]
                    : [];
            }
        }
    }

    public IReadOnlyList<FineTuningJob> All => [.. _jobs.Values];

    public string CheckpointDir(string id) => Path.Combine(_dir, id, "checkpoint");

    public string AdapterDir(string id) => Path.Combine(_dir, id, "adapter");

    public void Save(FineTuningJob job)
    {
        lock (_lock)
        {
            Directory.CreateDirectory(Path.Combine(_dir, job.Id));
            FinetuneJson.WriteAtomically(Path.Combine(_dir, job.Id, "job.json"), job);
            _jobs[job.Id] = job;
            _events.TryAdd(job.Id, []);
        }
    }

    /// <summary>Applies <paramref name="change"/> to the job as it is now and saves the result (in memory only unless <paramref name="persist"/>).</summary>
    public FineTuningJob Update(string id, Func<FineTuningJob, FineTuningJob> change, bool persist = true)
    {
        lock (_lock)
        {
            var job = change(_jobs[id]);
            if (persist)
            {
                Save(job);
            }
            else
            {
                _jobs[id] = job;
            }
            return job;
        }
    }

    public FineTuningJob? Find(string id) => _jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>The job when <paramref name="tenant"/> owns it; another tenant's job answers 404, as if absent.</summary>
    public FineTuningJob Get(string id, string? tenant) =>
        _jobs.TryGetValue(id, out var job) && job.Tenant == tenant
            ? job
            : throw new ApiException(StatusCodes.Status404NotFound, $"Fine-tuning job {id} not found.", ErrorTypes.InvalidRequest, "fine_tuning_job_id", "fine_tuning_job_not_found");

    public IReadOnlyList<FineTuningJob> List(string? tenant) =>
        [.. _jobs.Values.Where(j => j.Tenant == tenant).OrderByDescending(j => j.CreatedTicks).ThenByDescending(j => j.Id, StringComparer.Ordinal)];

    public void AddEvent(string jobId, string message, StepMetrics? data, long createdAt, string level = "info")
    {
        var e = new JobEvent($"ftevent-{Guid.NewGuid():N}", "fine_tuning.job.event", createdAt, level, message, data is null ? "message" : "metrics", data);
        lock (_lock)
        {
            _events.GetOrAdd(jobId, _ => []).Add(e);
            File.AppendAllText(Path.Combine(_dir, jobId, "events.jsonl"), JsonSerializer.Serialize(e, FinetuneJson.Options) + "\n");
        }
    }

    /// <summary>Drops the metrics events of steps after <paramref name="step"/> (a resume from a checkpoint replays them).</summary>
    public void TrimEventsAfter(string jobId, long step)
    {
        lock (_lock)
        {
            var list = _events.GetOrAdd(jobId, _ => []);
            list.RemoveAll(e => e.Data is { } d && d.Step > step);
            File.WriteAllLines(Path.Combine(_dir, jobId, "events.jsonl"), list.Select(e => JsonSerializer.Serialize(e, FinetuneJson.Options)));
        }
    }

    /// <summary>Events newest first, as OpenAI lists them.</summary>
    public IReadOnlyList<JobEvent> Events(string jobId)
    {
        lock (_lock)
        {
            return _events.TryGetValue(jobId, out var list) ? [.. Enumerable.Reverse(list)] : [];
        }
    }
}
