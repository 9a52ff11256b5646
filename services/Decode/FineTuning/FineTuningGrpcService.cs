using Grpc.Core;
using Platform.Contracts.Finetune.V1;
using Platform.PhaseSplit;
using Platform.PhaseSplit.Hosting;
using TrainingExample = Platform.Engine.Lora.Training.TrainingExample;

namespace Platform.Decode.FineTuning;

/// <summary><c>platform.finetune.v1.FineTuningService</c>: co-served LoRA fine-tuning jobs in this instance's engine.</summary>
public sealed class FineTuningGrpcService(FineTuningJobs jobs, EngineHost host) : FineTuningService.FineTuningServiceBase
{
    public override async Task<JobState> StartJob(IAsyncStreamReader<StartJobMessage> requestStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false) || requestStream.Current.BodyCase != StartJobMessage.BodyOneofCase.Spec)
        {
            throw Faults.Invalid("StartJob must begin with the job's spec");
        }
        var spec = requestStream.Current.Spec;
        try
        {
            JobSpecReader.Check(spec, host.Engine.Adapters.MaxLoraRank);
        }
        catch (ArgumentException e)
        {
            throw Faults.Invalid(e.Message);
        }
        var examples = new List<TrainingExample>(spec.NumExamples);
        while (await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            if (requestStream.Current.BodyCase != StartJobMessage.BodyOneofCase.Examples)
            {
                throw Faults.Invalid($"job {spec.JobId}: only example batches may follow the spec");
            }
            examples.AddRange(requestStream.Current.Examples.Examples.Select(JobSpecReader.Example));
            if (examples.Count > spec.NumExamples)
            {
                throw Faults.Invalid($"job {spec.JobId}: more examples arrived than num_examples ({spec.NumExamples})");
            }
        }
        if (examples.Count != spec.NumExamples)
        {
            throw Faults.Invalid($"job {spec.JobId}: {examples.Count} examples arrived of the {spec.NumExamples} announced");
        }
        return jobs.Start(spec, examples);
    }

    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobUpdate> responseStream, ServerCallContext context) =>
        jobs.Get(request.JobId).WatchAsync(request.AfterStep, responseStream, context.CancellationToken);

    public override Task<JobState> CancelJob(JobRequest request, ServerCallContext context)
    {
        var job = jobs.Get(request.JobId);
        job.Cancel();
        return Task.FromResult(job.State());
    }

    public override Task<JobState> GetJob(JobRequest request, ServerCallContext context) => Task.FromResult(jobs.Get(request.JobId).State());
}
