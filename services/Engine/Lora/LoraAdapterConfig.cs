using System.Text.Json;

namespace Platform.Engine.Lora;

/// <summary>
/// The fields of PEFT's <c>adapter_config.json</c> the engine uses: rank <c>r</c>, <c>lora_alpha</c>,
/// <c>target_modules</c> (a list, or one name), <c>use_rslora</c> and <c>base_model_name_or_path</c>.
/// </summary>
public sealed record LoraAdapterConfig(int Rank, double Alpha, IReadOnlyList<LoraTarget> Targets, bool UseRsLora, string? BaseModel = null)
{
    /// <summary>alpha / r, or alpha / sqrt(r) for rsLoRA.</summary>
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public static LoraAdapterConfig Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new LoraAdapterException($"{path} not found (a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors)");
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.TryGetProperty("peft_type", out var peft) && peft.GetString() is { } type && !string.Equals(type, "LORA", StringComparison.OrdinalIgnoreCase))
            {
                throw new LoraAdapterException($"{path}: peft_type is '{type}'; only LORA adapters are served");
            }
            int rank = root.TryGetProperty("r", out var r) ? r.GetInt32() : throw new LoraAdapterException($"{path}: no rank 'r'");
            double alpha = root.TryGetProperty("lora_alpha", out var a) ? a.GetDouble() : rank;
            bool rs = root.TryGetProperty("use_rslora", out var u) && u.ValueKind == JsonValueKind.True;
            string? baseModel = root.TryGetProperty("base_model_name_or_path", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null;
            if (!root.TryGetProperty("target_modules", out var tm))
            {
                throw new LoraAdapterException($"{path}: no target_modules");
            }
            var names = tm.ValueKind switch
            {
                JsonValueKind.Array => tm.EnumerateArray().Select(e => e.GetString() ?? "").ToList(),
                JsonValueKind.String => [tm.GetString() ?? ""],
                _ => throw new LoraAdapterException($"{path}: target_modules must be a list of module names"),
            };
            var targets = new List<LoraTarget>();
            foreach (var name in names)
            {
                if (!LoraTargets.TryParse(name, out var t))
                {
                    throw new LoraAdapterException(
                        $"{path}: target module '{name}' is not supported (supported: {string.Join(", ", LoraTargets.All.Select(LoraTargets.ShortName))})");
                }
                targets.Add(t);
            }
            if (rank <= 0)
            {
                throw new LoraAdapterException($"{path}: rank r must be positive, got {rank}");
            }
            return new LoraAdapterConfig(rank, alpha, [.. targets.Distinct().Order()], rs, baseModel);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new LoraAdapterException($"{path}: invalid adapter config: {e.Message}", LoraErrorKind.Invalid, e);
        }
    }

    public void Write(string path)
    {
        var json = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = 0.0,
            ["bias"] = "none",
            ["use_rslora"] = UseRsLora,
            ["target_modules"] = Targets.Select(LoraTargets.ShortName).ToArray(),
            ["base_model_name_or_path"] = BaseModel,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }
}
