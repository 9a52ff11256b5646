using System.Text.Json;

namespace Platform.Finetune.Tests;

/// <summary>Jobs that train: a pattern learnt and served at once, and a job resumed from its checkpoint after a restart.</summary>
public sealed class FinetuneJobTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [SkippableFact]
    public async Task A_job_learns_a_pattern_its_model_then_answers_with_it_and_base_outputs_stay_unchanged()
    {
        TestModels.RequireStories260K();
        await using var server = await FinetuneServer.StartAsync(_data.Path);
        var tokenizer = server.Engine.Tokenizer!;
        var basePrompt = TrainingData.RandomPrompt(tokenizer, new Random(99));
        var baseText = await CompleteAsync(server.Acme, "stories", basePrompt, 12);

        var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(server.Acme, TrainingData.PatternJsonl(tokenizer, 16, seed: 2)))).GetProperty("id").GetString()!;
        var job = await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(server.Acme, "/v1/fine_tuning/jobs", new
        {
            model = "stories",
            training_file = file,
            suffix = "pattern",
            seed = 7,
            hyperparameters = new { n_epochs = 4, batch_size = 4, learning_rate = 1e-2 },
            method = new { type = "lora", lora = new { rank = 8, alpha = 16, target_modules = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" } } },
        }));
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal(16, job.GetProperty("total_steps").GetInt64());

        // Inference served while the job trains in the same engine: the base model's output does not move.
        int servedDuringTraining = 0;
        while (true)
        {
            var status = (await FinetuneServer.JsonAsync(await server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}"))).GetProperty("status").GetString();
            if (status is "succeeded" or "failed" or "cancelled")
            {
                Assert.Equal("succeeded", status);
                break;
            }
            Assert.Equal(baseText, await CompleteAsync(server.Acme, "stories", basePrompt, 12));
            servedDuringTraining += status == "running" ? 1 : 0;
        }
        Assert.True(servedDuringTraining >= 1, "no request was served while the job ran");

        var done = await FinetuneServer.JsonAsync(await server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}"));
        var model = done.GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"ft:stories:pattern:{id}", model);
        Assert.True(done.GetProperty("trained_tokens").GetInt64() > 0);

        var events = (await FinetuneServer.JsonAsync(await server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"))).GetProperty("data").EnumerateArray().ToList();
        var losses = events.Where(e => e.GetProperty("type").GetString() == "metrics").Reverse().Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), losses.Select(d => d.GetProperty("step").GetInt64()));
        Assert.Equal(1.0, losses[^1].GetProperty("progress").GetDouble());
        double first = losses[0].GetProperty("train_loss").GetDouble(), last = losses[^1].GetProperty("train_loss").GetDouble();
        Assert.True(last < first / 4, $"loss went from {first:F3} to {last:F3}");
        var page = await FinetuneServer.JsonAsync(await server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=2&after={events[0].GetProperty("id").GetString()}"));
        Assert.Equal(events[1].GetProperty("id").GetString(), page.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.True(page.GetProperty("has_more").GetBoolean());

        // Served at once, to its tenant only; the base model is unchanged.
        var pattern = TrainingData.PatternText(tokenizer).Trim();
        var tuned = await CompleteAsync(server.Acme, model, TrainingData.RandomPrompt(tokenizer, new Random(5)), 12);
        Assert.Contains(pattern, tuned, StringComparison.Ordinal);
        Assert.Equal(baseText, await CompleteAsync(server.Acme, "stories", basePrompt, 12));
        Assert.Contains((await FinetuneServer.JsonAsync(await server.Acme.GetAsync("/v1/models"))).GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == model);
        var foreign = await server.Globex.PostAsync("/v1/completions", Body(model, "Once", 4));
        Assert.Equal(404, (int)foreign.StatusCode);

        var metrics = await server.Acme.GetStringAsync("/metrics");
        foreach (var name in new[] { "platform_finetune_tokens_trained", "platform_finetune_loss", "platform_finetune_last_loss", "platform_finetune_iteration_time_share", "platform_finetune_jobs" })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
        Assert.Contains("status=\"succeeded\"} 1", metrics, StringComparison.Ordinal);
        Assert.True(server.Engine.FineTuningTimeShare > 0);
    }

    [SkippableFact]
    public async Task A_restarted_service_resumes_the_job_from_its_last_checkpoint()
    {
        TestModels.RequireStories260K();
        var settings = new Dictionary<string, string?> { ["Finetune:CheckpointEverySteps"] = "3" };
        string id, file;
        long stoppedAt;
        await using (var first = await FinetuneServer.StartAsync(_data.Path, settings))
        {
            file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(first.Acme, TrainingData.PatternJsonl(first.Engine.Tokenizer!, 8, seed: 4)))).GetProperty("id").GetString()!;
            id = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(first.Acme, "/v1/fine_tuning/jobs", new
            {
                model = "stories",
                training_file = file,
                hyperparameters = new { n_epochs = 16, batch_size = 2, learning_rate = 1e-2 },
            }))).GetProperty("id").GetString()!;
            await FinetuneServer.WaitJobAsync(first.Acme, id, j => j.GetProperty("step").GetInt64() >= 4);
            await first.StopAsync();
            var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(_data.Path, "jobs", id, "job.json"))).RootElement;
            Assert.Equal("running", saved.GetProperty("status").GetString());
            stoppedAt = saved.GetProperty("step").GetInt64();
        }
        long checkpointStep = long.Parse(File.ReadAllText(Path.Combine(_data.Path, "jobs", id, "checkpoint", "step.txt")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(checkpointStep >= 3 && checkpointStep % 3 == 0 && checkpointStep <= stoppedAt, $"checkpoint at {checkpointStep}, stopped at {stoppedAt}");

        await using var second = await FinetuneServer.StartAsync(_data.Path, settings);
        var done = await FinetuneServer.WaitJobAsync(second.Acme, id, j => j.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        var events = (await FinetuneServer.JsonAsync(await second.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"))).GetProperty("data").EnumerateArray().Reverse().ToList();
        Assert.Contains(events, e => e.GetProperty("message").GetString() == $"Resumed from the checkpoint at step {checkpointStep}.");
        // Each step is listed once: the steps after the checkpoint ran again after the restart and replaced their first run's events.
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (long)i),
            events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data").GetProperty("step").GetInt64()));
        var model = done.GetProperty("fine_tuned_model").GetString()!;
        Assert.True(File.Exists(Path.Combine(_data.Path, "jobs", id, "adapter", "adapter_model.safetensors")));
        Assert.NotEqual(await CompleteAsync(second.Acme, "stories", "Once upon a time", 12), await CompleteAsync(second.Acme, model, "Once upon a time", 12));

        // The same job run without a break gives the same losses: the checkpoint restored the weights and AdamW's state.
        var again = (await FinetuneServer.JsonAsync(await FinetuneServer.PostJsonAsync(second.Acme, "/v1/fine_tuning/jobs", new
        {
            model = "stories",
            training_file = file,
            hyperparameters = new { n_epochs = 16, batch_size = 2, learning_rate = 1e-2 },
        }))).GetProperty("id").GetString()!;
        await FinetuneServer.WaitJobAsync(second.Acme, again, j => j.GetProperty("status").GetString() == "succeeded");
        var resumed = await LossesAsync(second.Acme, id);
        var straight = await LossesAsync(second.Acme, again);
        Assert.Equal(64, straight.Count);
        for (int i = 0; i < straight.Count; i++)
        {
            Assert.True(Math.Abs(resumed[i] - straight[i]) <= 1e-3 * Math.Max(1, Math.Abs(straight[i])), $"step {i + 1}: resumed {resumed[i]}, uninterrupted {straight[i]}");
        }
        Assert.True(straight[^1] < straight[0]);
    }

    private static async Task<List<double>> LossesAsync(HttpClient http, string id)
    {
        var events = (await FinetuneServer.JsonAsync(await http.GetAsync($"/v1/fine_tuning/jobs/{id}/events?limit=100"))).GetProperty("data").EnumerateArray().Reverse();
        return [.. events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data").GetProperty("train_loss").GetDouble())];
    }

    private static StringContent Body(string model, string prompt, int maxTokens) =>
        new(JsonSerializer.Serialize(new { model, prompt, max_tokens = maxTokens, temperature = 0 }), System.Text.Encoding.UTF8, "application/json");

    private static async Task<string> CompleteAsync(HttpClient http, string model, string prompt, int maxTokens)
    {
        var response = await FinetuneServer.JsonAsync(await http.PostAsync("/v1/completions", Body(model, prompt, maxTokens)));
        return response.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }
}
