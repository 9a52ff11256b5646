using System.Globalization;
using System.Text.Json;

namespace Platform.Finetune.Tests;

/// <summary>
/// Split mode: the fine-tuning service places jobs on a real Decode process over gRPC (platform.finetune.v1), the job
/// trains co-served there, and its adapter is served through the Split Gateway (Prefill and Decode processes).
/// </summary>
public sealed class SplitFinetuneTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [SkippableFact]
    public async Task A_job_placed_on_a_decode_process_trains_there_and_its_adapter_is_served_through_the_split_gateway()
    {
        var modelDir = TestModels.RequireStories260K();
        var prefillStart = ServiceProcess.StartAsync("Prefill", modelDir);
        var decodeStart = ServiceProcess.StartAsync("Decode", modelDir);
        using var prefill = await prefillStart;
        using var decode = await decodeStart;
        await using var server = await FinetuneServer.StartSplitAsync(_data.Path, prefill.Address, decode.Address);
        await server.WaitAllInstancesAsync();
        var tokenizer = server.Tokenizer;
        var basePrompt = TrainingData.RandomPrompt(tokenizer, new Random(99));
        var baseText = await FinetuneServer.CompleteAsync(server.Acme, "stories", basePrompt, 12);

        var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(server.Acme, TrainingData.PatternJsonl(tokenizer, 16, seed: 2)))).GetProperty("id").GetString()!;
        var id = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(server.Acme, "/v1/fine_tuning/jobs", new
        {
            model = "stories",
            training_file = file,
            suffix = "split",
            seed = 7,
            hyperparameters = new { n_epochs = 4, batch_size = 4, learning_rate = 1e-2 },
            method = new { type = "lora", lora = new { rank = 8, alpha = 16, target_modules = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" } } },
        }))).GetProperty("id").GetString()!;

        // The Decode instance reports the job in its load while it trains, and keeps serving the base model meanwhile.
        await decode.WaitForLoadAsync(l => l.FineTuningJobs == 1 || Directory.Exists(Path.Combine(_data.Path, "jobs", id, "adapter")), FinetuneServer.Timeout);
        Assert.Equal(baseText, await FinetuneServer.CompleteAsync(server.Acme, "stories", basePrompt, 12));
        var done = await FinetuneServer.WaitJobAsync(server.Acme, id, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        Assert.Equal(0, (await decode.GetLoadAsync()).FineTuningJobs);

        var events = await FinetuneServer.EventsAsync(server.Acme, id);
        Assert.Contains(events, e => e.GetProperty("message").GetString() == "Placed on Decode instance decode-0.");
        var steps = events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), steps.Select(d => d.GetProperty("step").GetInt64()));
        double first = steps[0].GetProperty("train_loss").GetDouble(), last = steps[^1].GetProperty("train_loss").GetDouble();
        Assert.True(last < first / 4, $"loss went from {first:F3} to {last:F3}");
        Assert.True(steps[^1].GetProperty("trained_tokens").GetInt64() > steps[0].GetProperty("trained_tokens").GetInt64());
        Assert.True(File.Exists(Path.Combine(_data.Path, "jobs", id, "adapter", "adapter_config.json")), "the PEFT adapter is not where the job's directory says");

        // Served at once through the Split Gateway (Prefill computes the prompt under the adapter, Decode continues),
        // to its tenant only; the base model is unchanged.
        var model = done.GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"ft:stories:split:{id}", model);
        var tuned = await FinetuneServer.CompleteAsync(server.Acme, model, TrainingData.RandomPrompt(tokenizer, new Random(5)), 12);
        Assert.Contains(TrainingData.PatternText(tokenizer).Trim(), tuned, StringComparison.Ordinal);
        Assert.Equal(baseText, await FinetuneServer.CompleteAsync(server.Acme, "stories", basePrompt, 12));
        var foreign = await FinetuneServer.PostJsonAsync(server.Globex, "/v1/completions", new { model, prompt = "Once", max_tokens = 4 });
        Assert.Equal(404, (int)foreign.StatusCode);
    }

    [SkippableFact]
    public async Task A_decode_process_killed_mid_job_and_restarted_resumes_the_job_from_its_last_checkpoint()
    {
        var modelDir = TestModels.RequireStories260K();
        var decode = await ServiceProcess.StartAsync("Decode", modelDir);
        try
        {
            // No Prefill process: fine-tuning needs only the Decode pool.
            await using var server = await FinetuneServer.StartSplitAsync(_data.Path, $"http://127.0.0.1:{ServiceProcess.FreePort()}", decode.Address,
                new Dictionary<string, string?> { ["Finetune:CheckpointEverySteps"] = "3", ["Finetune:MaxForwardTokens"] = "16" });
            var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(server.Acme, TrainingData.PatternJsonl(server.Tokenizer, 8, seed: 4)))).GetProperty("id").GetString()!;
            var id = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(server.Acme, "/v1/fine_tuning/jobs", new
            {
                model = "stories",
                training_file = file,
                hyperparameters = new { n_epochs = 25, batch_size = 2, learning_rate = 1e-2 },
            }))).GetProperty("id").GetString()!;
            var checkpoint = Path.Combine(_data.Path, "jobs", id, "checkpoint", "step.txt");
            await FinetuneServer.WaitJobAsync(server.Acme, id, j => j.GetProperty("step").GetInt64() >= 4 && File.Exists(checkpoint));
            decode.Kill();
            long checkpointStep = long.Parse(File.ReadAllText(checkpoint), CultureInfo.InvariantCulture);
            var stoppedAt = await FinetuneServer.JsonAsync(await server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}"));
            Assert.Equal("running", stoppedAt.GetProperty("status").GetString());
            Assert.True(checkpointStep >= 3 && checkpointStep % 3 == 0 && checkpointStep < 100, $"checkpoint at step {checkpointStep}");

            // The same instance (same address) comes back: the job is placed there again and continues from the checkpoint.
            decode.Dispose();
            decode = await ServiceProcess.StartAsync("Decode", modelDir, decode.Port);
            var done = await FinetuneServer.WaitJobAsync(server.Acme, id, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
            Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());

            var events = await FinetuneServer.EventsAsync(server.Acme, id);
            var messages = events.Select(e => e.GetProperty("message").GetString()!).ToList();
            Assert.Contains(messages, m => m.StartsWith("Decode instance decode-0 stopped answering", StringComparison.Ordinal));
            int resumed = messages.LastIndexOf($"Resumed from the checkpoint at step {checkpointStep}.");
            Assert.True(resumed >= 0, string.Join("\n", messages));
            // The step count continues at the checkpoint rather than starting over (the checkpointed step itself comes
            // again when the killed process had not reported it yet), and each step is listed once.
            var firstAfter = events.Skip(resumed).First(e => e.GetProperty("type").GetString() == "metrics");
            Assert.InRange(firstAfter.GetProperty("data").GetProperty("step").GetInt64(), checkpointStep, checkpointStep + 1);
            Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i),
                events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data").GetProperty("step").GetInt64()));
            Assert.True(File.Exists(Path.Combine(_data.Path, "jobs", id, "adapter", "adapter_model.safetensors")));
        }
        finally
        {
            decode.Dispose();
        }
    }

    [SkippableFact]
    public async Task Bad_jobs_are_refused_with_errors_that_name_the_problem()
    {
        var modelDir = TestModels.RequireStories260K();
        using var decode = await ServiceProcess.StartAsync("Decode", modelDir, "--Engine:MaxLoraRank", "4");
        var client = new Contracts.Finetune.V1.FineTuningService.FineTuningServiceClient(decode.Channel);
        var checkpointDir = Path.Combine(_data.Path, "direct", "checkpoint");

        // Over gRPC: a spec that names its fault, a cut example stream, a checkpoint this instance cannot see, an unknown job.
        var bad = await StartAsync(client, Spec("direct", checkpointDir, rank: 8, examples: 1), 1);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("rank 8 is outside [1, 4]", bad.Status.Detail, StringComparison.Ordinal);
        var cut = await StartAsync(client, Spec("direct", checkpointDir, rank: 4, examples: 3), 1);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, cut.StatusCode);
        Assert.Contains("1 examples arrived of the 3 announced", cut.Status.Detail, StringComparison.Ordinal);
        var spec = Spec("direct", checkpointDir, rank: 4, examples: 1);
        spec.RequireCheckpointStep = 6;
        var unshared = await StartAsync(client, spec, 1);
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, unshared.StatusCode);
        Assert.Contains("must be storage shared", unshared.Status.Detail, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.GetJobAsync(new Contracts.Finetune.V1.JobRequest { JobId = "nope" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);

        // Through the API: the job fails with the instance's reason, and nothing is left training there.
        await using var server = await FinetuneServer.StartSplitAsync(_data.Path, $"http://127.0.0.1:{ServiceProcess.FreePort()}", decode.Address);
        var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(server.Acme, TrainingData.PatternJsonl(server.Tokenizer, 4, seed: 1)))).GetProperty("id").GetString()!;
        var badFile = await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(server.Acme, "{\"prompt\": \"a\", \"label\": 1}"), 400);
        Assert.Contains("line 1", badFile.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        var id = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(server.Acme, "/v1/fine_tuning/jobs", new
        {
            model = "stories",
            training_file = file,
            method = new { type = "lora", lora = new { rank = 8 } },
        }))).GetProperty("id").GetString()!;
        var failed = await FinetuneServer.WaitJobAsync(server.Acme, id, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("Decode instance decode-0 refused the job", failed.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("rank 8 is outside [1, 4]", failed.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await decode.GetLoadAsync()).FineTuningJobs);

        // A cancel through the API stops the job on the instance, which then takes the next one.
        var running = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(server.Acme, "/v1/fine_tuning/jobs", new
        {
            model = "stories",
            training_file = file,
            hyperparameters = new { n_epochs = 50, batch_size = 1 },
            method = new { type = "lora", lora = new { rank = 4 } },
        }))).GetProperty("id").GetString()!;
        await FinetuneServer.WaitJobAsync(server.Acme, running, j => j.GetProperty("step").GetInt64() >= 1);
        await FinetuneServer.JsonAsync(await server.Acme.PostAsync($"/v1/fine_tuning/jobs/{running}/cancel", null));
        var cancelled = await FinetuneServer.WaitJobAsync(server.Acme, running, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        await decode.WaitForLoadAsync(l => l.FineTuningJobs == 0, FinetuneServer.Timeout);
    }

    [SkippableFact]
    public async Task A_restarted_fine_tuning_service_attaches_to_the_job_still_training_on_its_decode_instance()
    {
        var modelDir = TestModels.RequireStories260K();
        using var decode = await ServiceProcess.StartAsync("Decode", modelDir);
        var prefill = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        string id;
        await using (var first = await FinetuneServer.StartSplitAsync(_data.Path, prefill, decode.Address))
        {
            var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(first.Acme, TrainingData.PatternJsonl(first.Tokenizer, 8, seed: 4)))).GetProperty("id").GetString()!;
            id = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(first.Acme, "/v1/fine_tuning/jobs", new
            {
                model = "stories",
                training_file = file,
                hyperparameters = new { n_epochs = 25, batch_size = 2, learning_rate = 1e-2 },
            }))).GetProperty("id").GetString()!;
            await FinetuneServer.WaitJobAsync(first.Acme, id, j => j.GetProperty("step").GetInt64() >= 2);
            // Frozen, the instance cannot finish the job while this service stops (on a busy machine it could).
            decode.Pause();
            try
            {
                var left = await FinetuneServer.JsonAsync(await first.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}"));
                Assert.True(left.GetProperty("status").GetString() == "running", $"the job ended before the service stopped: {left}");
                await first.StopAsync();
            }
            finally
            {
                decode.Resume();
            }
        }

        // The job trained on while no fine-tuning service watched it; the next one finds it by its id there.
        await using var second = await FinetuneServer.StartSplitAsync(_data.Path, prefill, decode.Address);
        var done = await FinetuneServer.WaitJobAsync(second.Acme, id, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        var events = await FinetuneServer.EventsAsync(second.Acme, id);
        var messages = events.Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains("Attached to the job running on Decode instance decode-0.", messages);
        Assert.DoesNotContain(messages, m => m.StartsWith("Resumed from the checkpoint", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i),
            events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data").GetProperty("step").GetInt64()));
    }

    private static Contracts.Finetune.V1.JobSpec Spec(string id, string checkpointDir, int rank, int examples)
    {
        var spec = new Contracts.Finetune.V1.JobSpec
        {
            SchemaVersion = 1,
            JobId = id,
            BaseModel = "stories",
            Hyperparameters = new Contracts.Finetune.V1.Hyperparameters { NEpochs = 1, BatchSize = 1, LearningRate = 1e-3, Rank = rank, Alpha = 8, Seed = 1 },
            CheckpointDir = checkpointDir,
            CheckpointEverySteps = 1,
            AdapterDir = Path.Combine(Path.GetDirectoryName(checkpointDir)!, "adapter"),
            AdapterName = id,
            CoServing = new Contracts.Finetune.V1.CoServing { MaxForwardTokens = 8, MaxBackwardLayers = 1 },
            NumExamples = examples,
        };
        spec.Hyperparameters.TargetModules.Add("q_proj");
        return spec;
    }

    /// <summary>Starts a job with <paramref name="sent"/> two-token examples; returns the call's failure.</summary>
    private static async Task<Grpc.Core.RpcException> StartAsync(Contracts.Finetune.V1.FineTuningService.FineTuningServiceClient client, Contracts.Finetune.V1.JobSpec spec, int sent)
    {
        return await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
        {
            using var call = client.StartJob(deadline: DateTime.UtcNow.AddSeconds(30));
            await call.RequestStream.WriteAsync(new Contracts.Finetune.V1.StartJobMessage { Spec = spec });
            var batch = new Contracts.Finetune.V1.ExampleBatch();
            for (int i = 0; i < sent; i++)
            {
                var example = new Contracts.Finetune.V1.TrainingExample { PromptLength = 1 };
                example.TokenIds.AddRange([1, 300, 301]);
                batch.Examples.Add(example);
            }
            try
            {
                await call.RequestStream.WriteAsync(new Contracts.Finetune.V1.StartJobMessage { Examples = batch });
                await call.RequestStream.CompleteAsync();
            }
            catch (Grpc.Core.RpcException)
            {
                // The server may have refused the spec before the examples went out; its status is the answer below.
            }
            await call.ResponseAsync;
        });
    }
}
