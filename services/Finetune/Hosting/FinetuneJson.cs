using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Finetune.Hosting;

/// <summary>JSON as OpenAI writes it (snake_case), for the API and for what is kept on disk.</summary>
public static class FinetuneJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes next to the file and moves it into place: a crash leaves the old version, never half a file.</summary>
    public static void WriteAtomically<T>(string path, T value)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(value, Options));
        File.Move(tmp, path, overwrite: true);
    }
}
