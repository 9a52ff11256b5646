using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Deployment.Tests.Images;

/// <summary>A small fine-tuning job through the OpenAI files and fine-tuning jobs API of a container.</summary>
public static class FineTuning
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Uploads eight prompt/completion lines, runs one epoch on <paramref name="model"/> and returns the ended job.</summary>
    public static async Task<JsonNode> RunJobAsync(HttpClient http, string model)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("fine-tune"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(TrainingLines(8))), "file", "train.jsonl" },
        };
        var file = (string)(await (await http.PostAsync("/v1/files", form)).ReadOkJsonAsync())["id"]!;
        var job = new { model, training_file = file, hyperparameters = new { n_epochs = 1, batch_size = 2 } };
        var id = (string)(await (await http.PostAsJsonAsync("/v1/fine_tuning/jobs", job)).ReadOkJsonAsync())["id"]!;
        var deadline = DateTime.UtcNow + JobTimeout;
        while (true)
        {
            var state = await (await http.GetAsync($"/v1/fine_tuning/jobs/{id}")).ReadOkJsonAsync();
            if ((string?)state["status"] is "succeeded" or "failed" or "cancelled" || DateTime.UtcNow > deadline)
            {
                return state;
            }
            await Task.Delay(200);
        }
    }

    private static string TrainingLines(int count) => string.Join('\n', Enumerable.Range(0, count).Select(i =>
        JsonSerializer.Serialize(new { prompt = $"Story {i}: the cat", completion = " sat on the warm mat and purred." })));
}
