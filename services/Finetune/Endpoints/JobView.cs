using Platform.Finetune.Jobs;

namespace Platform.Finetune.Endpoints;

/// <summary>OpenAI's <c>fine_tuning.job</c> object, with the LoRA settings under <c>method.lora</c> and progress fields.</summary>
public static class JobView
{
    public static object Of(FineTuningJob j)
    {
        var h = j.Hyperparameters;
        var hyper = new { n_epochs = h.NEpochs, batch_size = h.BatchSize, learning_rate_multiplier = h.LearningRateMultiplier, learning_rate = h.LearningRate };
        return new
        {
            id = j.Id,
            @object = "fine_tuning.job",
            model = j.Model,
            created_at = j.CreatedAt,
            finished_at = j.FinishedAt,
            fine_tuned_model = j.FineTunedModel,
            organization_id = j.Tenant ?? "default",
            result_files = Array.Empty<string>(),
            status = j.Status.ToString().ToLowerInvariant(),
            validation_file = (string?)null,
            training_file = j.TrainingFile,
            hyperparameters = hyper,
            method = new
            {
                type = "supervised",
                supervised = new { hyperparameters = hyper },
                lora = new { rank = h.Rank, alpha = h.Alpha, target_modules = h.TargetModules, use_rslora = h.UseRslora },
            },
            trained_tokens = j.Status == JobStatus.Succeeded ? j.TrainedTokens : (long?)null,
            error = j.Error is null ? null : new { code = "training_failed", message = j.Error, param = (string?)null },
            seed = h.Seed,
            suffix = j.Suffix,
            estimated_finish = (long?)null,
            // Extensions: where the job is.
            step = j.Step,
            total_steps = j.TotalSteps,
            tokens_trained_so_far = j.TrainedTokens,
        };
    }
}
