using System.Text.Json;

namespace Platform.Finetune.Tests;

/// <summary>Files and jobs API: bad input refused naming the line or field, tenants kept apart, cancel.</summary>
public sealed class FinetuneApiTests : IAsyncLifetime
{
    private const string Good = "{\"prompt\":\"Once upon a time\",\"completion\":\" there was a cat.\"}";
    private readonly TempDirectory _data = new();
    private FinetuneServer? _server;

    private FinetuneServer Server
    {
        get
        {
            TestModels.RequireStories260K();
            return _server!;
        }
    }

    public async Task InitializeAsync()
    {
        if (TestModels.Stories260K is not null)
        {
            _server = await FinetuneServer.StartAsync(_data.Path);
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _data.Dispose();
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "", "The training file is empty" },
        { "\n  \n", "The training file is empty" },
        { Good + "\n{\"prompt\": \"a\", ", "line 2: invalid JSON" },
        { "[1, 2]", "line 1: expected a JSON object" },
        { Good + "\n" + Good + "\n{\"prompt\":\"a\",\"completion\":\"b\",\"label\":1}", "line 3: unknown field 'label'" },
        { "{\"prompt\":\"a\"}", "line 1: missing field 'completion'" },
        { "{\"prompt\":1,\"completion\":\"b\"}", "line 1: 'prompt' must be a string" },
        { "{\"messages\":[]}", "line 1: 'messages' must be a non-empty list" },
        { "{\"messages\":[{\"role\":\"bot\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}", "line 1: messages[0].role 'bot' is not one of" },
        { "{\"messages\":[{\"content\":\"hi\"}]}", "line 1: messages[0] is missing 'role'" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "line 1: the last message must be the assistant's" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"weight\":1},{\"role\":\"assistant\",\"content\":\"yo\"}]}", "line 1: messages[0] has the unknown field 'weight'" },
        { Good + "\n{\"prompt\":\"" + string.Concat(Enumerable.Repeat("Once upon a time there was a dog. ", 120)) + "\",\"completion\":\"b\"}", "line 2: the example is" },
    };

    [SkippableFact]
    public async Task A_file_over_kestrels_default_body_limit_but_within_MaxFileBytes_is_read_whole()
    {
        // 31 MiB, over Kestrel's 30 MB default, under Finetune:MaxFileBytes (64 MiB): the parser sees it and names the line.
        string content = "{\"prompt\": " + new string('x', 31 << 20);
        var error = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(Server.Acme, content), 400)).GetProperty("error");
        Assert.Contains("line 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_training_file_is_refused_naming_the_line(string content, string expected)
    {
        var error = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(Server.Acme, content), 400)).GetProperty("error");
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("file", error.GetProperty("param").GetString());
        // The service keeps serving: a good file is accepted right after.
        Assert.StartsWith("file-", (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(Server.Acme, Good))).GetProperty("id").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Co_serving_settings_out_of_range_stop_the_service_at_start_naming_the_keys()
    {
        TestModels.RequireStories260K();
        using var data = new TempDirectory();
        foreach (var (key, value) in new[] { ("Finetune:MaxInferenceSlowdown", "-0.1"), ("Finetune:TargetIterationMs", "-5") })
        {
            var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
                () => FinetuneServer.StartAsync(data.Path, new Dictionary<string, string?> { [key] = value }));
            Assert.Contains(key.Split(':')[1], e.Message);
        }
    }

    [SkippableFact]
    public async Task Bad_job_requests_are_refused_naming_the_field()
    {
        var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(Server.Acme, Good))).GetProperty("id").GetString()!;
        Assert.Contains("purpose", await Error(await FinetuneServer.UploadAsync(Server.Acme, Good, purpose: "assistants"), 400, "purpose"), StringComparison.Ordinal);
        Assert.Contains("'gpt-4o' is not available", await Error(await Post(new { model = "gpt-4o", training_file = file }), 400, "model"), StringComparison.Ordinal);
        Assert.Contains("'training_file'", await Error(await Post(new { model = "stories" }), 400, "training_file"), StringComparison.Ordinal);
        Assert.Contains("No such File", await Error(await Post(new { model = "stories", training_file = "file-nope" }), 404, "training_file"), StringComparison.Ordinal);
        Assert.Contains("n_epochs", await Error(await Post(new { model = "stories", training_file = file, hyperparameters = new { n_epochs = 0 } }), 400, "hyperparameters.n_epochs"), StringComparison.Ordinal);
        Assert.Contains("Unknown parameter", await Error(await Post(new { model = "stories", training_file = file, hyperparameters = new { epochs = 2 } }), 400, "hyperparameters.epochs"), StringComparison.Ordinal);
        Assert.Contains("rank", await Error(await Post(new { model = "stories", training_file = file, method = new { type = "lora", lora = new { rank = 4096 } } }), 400, "method.lora.rank"), StringComparison.Ordinal);
        Assert.Contains("'mlp'", await Error(await Post(new { model = "stories", training_file = file, method = new { type = "lora", lora = new { target_modules = new[] { "mlp" } } } }), 400, "method.lora.target_modules"), StringComparison.Ordinal);
        Assert.Contains("'dpo' is not supported", await Error(await Post(new { model = "stories", training_file = file, method = new { type = "dpo" } }), 400, "method.type"), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", await Error(await Server.Acme.PostAsync("/v1/fine_tuning/jobs", new StringContent("{", System.Text.Encoding.UTF8, "application/json")), 400, null), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Another_tenant_sees_neither_files_nor_jobs_and_a_cancelled_job_stops()
    {
        var file = (await FinetuneServer.JsonAsync(await FinetuneServer.UploadAsync(Server.Acme, TrainingData.PatternJsonl(Server.Engine.Tokenizer!, 4, seed: 3)))).GetProperty("id").GetString()!;
        await Error(await Server.Globex.GetAsync($"/v1/files/{file}"), 404, null);
        await Error(await Server.Globex.DeleteAsync($"/v1/files/{file}"), 404, null);
        Assert.Empty((await FinetuneServer.JsonAsync(await Server.Globex.GetAsync("/v1/files"))).GetProperty("data").EnumerateArray());
        await Error(await FinetuneServer.PostJsonAsync(Server.Globex, "/v1/fine_tuning/jobs", new { model = "stories", training_file = file }), 404, "training_file");

        // A long job, cancelled once it has trained a step.
        var job = await FinetuneServer.JsonAsync(await Post(new { model = "stories", training_file = file, hyperparameters = new { n_epochs = 50, batch_size = 2 } }));
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("fine_tuning.job", job.GetProperty("object").GetString());
        await Error(await Server.Globex.GetAsync($"/v1/fine_tuning/jobs/{id}"), 404, "fine_tuning_job_id");
        await Error(await Server.Globex.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null), 404, "fine_tuning_job_id");
        await Error(await Server.Globex.GetAsync($"/v1/fine_tuning/jobs/{id}/events"), 404, "fine_tuning_job_id");
        Assert.Empty((await FinetuneServer.JsonAsync(await Server.Globex.GetAsync("/v1/fine_tuning/jobs"))).GetProperty("data").EnumerateArray());
        Assert.Single((await FinetuneServer.JsonAsync(await Server.Acme.GetAsync("/v1/fine_tuning/jobs?limit=5"))).GetProperty("data").EnumerateArray());
        Assert.Contains("'limit'", await Error(await Server.Acme.GetAsync("/v1/fine_tuning/jobs?limit=0"), 400, "limit"), StringComparison.Ordinal);

        await FinetuneServer.WaitJobAsync(Server.Acme, id, j => j.GetProperty("step").GetInt64() >= 1);
        // A job queued behind the running one is cancelled at once.
        var queued = (await FinetuneServer.JsonAsync(await Post(new { model = "stories", training_file = file }))).GetProperty("id").GetString()!;
        Assert.Equal("cancelled", (await FinetuneServer.JsonAsync(await Server.Acme.PostAsync($"/v1/fine_tuning/jobs/{queued}/cancel", null))).GetProperty("status").GetString());
        var listed = (await FinetuneServer.JsonAsync(await Server.Acme.GetAsync("/v1/fine_tuning/jobs?limit=1"))).GetProperty("data");
        Assert.Equal(queued, listed[0].GetProperty("id").GetString());
        var next = (await FinetuneServer.JsonAsync(await Server.Acme.GetAsync($"/v1/fine_tuning/jobs?limit=1&after={queued}"))).GetProperty("data");
        Assert.Equal(id, next[0].GetProperty("id").GetString());
        await FinetuneServer.JsonAsync(await Server.Acme.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null));
        var cancelled = await FinetuneServer.WaitJobAsync(Server.Acme, id, j => j.GetProperty("status").GetString() != "running");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("fine_tuned_model").ValueKind);
        Assert.True(cancelled.GetProperty("step").GetInt64() < cancelled.GetProperty("total_steps").GetInt64());
        Assert.Contains("already cancelled", await Error(await Server.Acme.PostAsync($"/v1/fine_tuning/jobs/{id}/cancel", null), 400, "fine_tuning_job_id"), StringComparison.Ordinal);
        var events = (await FinetuneServer.JsonAsync(await Server.Acme.GetAsync($"/v1/fine_tuning/jobs/{id}/events"))).GetProperty("data");
        Assert.Equal("The job was cancelled.", events[0].GetProperty("message").GetString());
        Assert.Equal(0, Server.Engine.Adapters.Count);

        // The owner deletes its file; the other tenant's list stays empty all along.
        Assert.True((await FinetuneServer.JsonAsync(await Server.Acme.DeleteAsync($"/v1/files/{file}"))).GetProperty("deleted").GetBoolean());
        await Error(await Server.Acme.GetAsync($"/v1/files/{file}"), 404, null);
    }

    private Task<HttpResponseMessage> Post(object body) => FinetuneServer.PostJsonAsync(Server.Acme, "/v1/fine_tuning/jobs", body);

    private static async Task<string> Error(HttpResponseMessage response, int status, string? param)
    {
        var error = (await FinetuneServer.JsonAsync(response, status)).GetProperty("error");
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
        return error.GetProperty("message").GetString()!;
    }
}
