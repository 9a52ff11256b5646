using System.Text.Json;
using Platform.Finetune.Files;
using Platform.Finetune.Hosting;
using Platform.Finetune.Jobs;
using Platform.Gateway.Endpoints;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Endpoints;

/// <summary><c>/v1/fine_tuning/jobs</c>: create, list, get, cancel, events. A job belongs to the caller's tenant; to others it is a 404.</summary>
public sealed class JobsEndpoints(JobStore jobs, FileStore files, JobRunner runner, ServedModel served, IFineTuningModel model, TimeProvider time)
{
    public async Task<IResult> CreateAsync(HttpContext context)
    {
        var tenant = CallerIdentity.Of(context).Tenant;
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The request body is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var request = JobRequestReader.Read(doc.RootElement, model.MaxLoraRank);
            if (!string.Equals(request.Model, served.Name, StringComparison.Ordinal))
            {
                throw ApiException.BadRequest($"Model '{request.Model}' is not available for fine-tuning; this service fine-tunes '{served.Name}'.", "model", "model_not_available");
            }
            model.EnsureCanFineTune();
            var file = files.Get(request.TrainingFile, tenant, "training_file");
            var now = time.GetUtcNow();
            var job = new FineTuningJob
            {
                Id = $"ftjob-{Guid.NewGuid():N}",
                Tenant = tenant,
                Model = request.Model,
                TrainingFile = file.Id,
                Suffix = request.Suffix,
                Hyperparameters = request.Hyperparameters,
                CreatedAt = now.ToUnixTimeSeconds(),
                CreatedTicks = now.UtcTicks,
                Status = JobStatus.Queued,
                TotalSteps = (long)Math.Ceiling(file.Examples / (double)request.Hyperparameters.BatchSize) * request.Hyperparameters.NEpochs,
            };
            jobs.Save(job);
            jobs.AddEvent(job.Id, $"Created fine-tuning job: {job.Id}", null, job.CreatedAt);
            runner.Enqueue(job.Id);
            return Results.Json(JobView.Of(job), FinetuneJson.Options);
        }
    }

    public IResult List(HttpContext context, string? after, int? limit)
    {
        var all = jobs.List(CallerIdentity.Of(context).Tenant);
        return Page(all, j => j.Id, after, limit, JobView.Of);
    }

    public IResult Get(HttpContext context, string id) =>
        Results.Json(JobView.Of(jobs.Get(id, CallerIdentity.Of(context).Tenant)), FinetuneJson.Options);

    public IResult Cancel(HttpContext context, string id)
    {
        var job = jobs.Get(id, CallerIdentity.Of(context).Tenant);
        if (job.IsTerminal)
        {
            throw ApiException.BadRequest($"Job {id} has already {job.Status.ToString().ToLowerInvariant()}; only queued or running jobs can be cancelled.", "fine_tuning_job_id");
        }
        // A queued job is cancelled at once; a running one stops at its next slice and the runner records it.
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        job = jobs.Update(id, j => j.Status == JobStatus.Queued
            ? j with { CancelRequested = true, Status = JobStatus.Cancelled, FinishedAt = now }
            : j with { CancelRequested = true });
        if (job.Status == JobStatus.Cancelled)
        {
            jobs.AddEvent(id, "The job was cancelled.", null, now);
        }
        return Results.Json(JobView.Of(job), FinetuneJson.Options);
    }

    public IResult Events(HttpContext context, string id, string? after, int? limit)
    {
        var job = jobs.Get(id, CallerIdentity.Of(context).Tenant);
        return Page(jobs.Events(job.Id), e => e.Id, after, limit, e => e);
    }

    private static IResult Page<T>(IReadOnlyList<T> all, Func<T, string> id, string? after, int? limit, Func<T, object> view)
    {
        int take = limit ?? 20;
        if (take is < 1 or > 100)
        {
            throw ApiException.BadRequest("'limit' must be from 1 to 100.", "limit");
        }
        int start = 0;
        if (after is not null)
        {
            int at = all.Select(id).ToList().IndexOf(after);
            start = at < 0 ? throw ApiException.BadRequest($"'after': no item {after} in this list.", "after") : at + 1;
        }
        var page = all.Skip(start).Take(take).ToList();
        return Results.Json(new { @object = "list", data = page.Select(view), has_more = start + page.Count < all.Count }, FinetuneJson.Options);
    }
}
