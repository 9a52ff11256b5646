using System.Text.Json;
using Platform.Engine.Lora;
using Platform.Finetune.Jobs;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Endpoints;

/// <summary>
/// Reads the body of <c>POST /v1/fine_tuning/jobs</c>: OpenAI's fields (model, training_file, suffix, seed,
/// hyperparameters or method.supervised.hyperparameters) and the LoRA extension <c>method.lora</c>
/// (rank, alpha, target_modules, use_rslora). Every bad value is a 400 naming its field.
/// </summary>
public static class JobRequestReader
{
    public const double BaseLearningRate = 1e-3;
    private static readonly string[] TopFields = ["model", "training_file", "validation_file", "suffix", "seed", "hyperparameters", "method", "integrations", "metadata"];
    private static readonly string[] HyperFields = ["n_epochs", "batch_size", "learning_rate_multiplier", "learning_rate"];
    private static readonly string[] LoraFields = ["rank", "alpha", "target_modules", "use_rslora"];

    public sealed record Request(string Model, string TrainingFile, string? Suffix, JobHyperparameters Hyperparameters);

    public static Request Read(JsonElement root, int maxRank)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest("The request body must be a JSON object.");
        }
        Unknown(root, TopFields, "");
        var model = String(root, "model", "model") ?? throw ApiException.BadRequest("Missing required parameter: 'model'.", "model");
        var file = String(root, "training_file", "training_file") ?? throw ApiException.BadRequest("Missing required parameter: 'training_file'.", "training_file");
        if (root.TryGetProperty("validation_file", out var v) && v.ValueKind != JsonValueKind.Null)
        {
            throw ApiException.BadRequest("'validation_file' is not supported by this service.", "validation_file");
        }
        var suffix = String(root, "suffix", "suffix");
        if (suffix is not null && (suffix.Length is 0 or > 64 || !suffix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw ApiException.BadRequest("'suffix' must be 1 to 64 characters: letters, digits, '-', '_' or '.'.", "suffix");
        }
        long seed = root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var sv) ? sv : throw ApiException.BadRequest("'seed' must be an integer.", "seed")
            : 42;

        JsonElement hyper = default, lora = default;
        string hyperParam = "hyperparameters";
        if (root.TryGetProperty("hyperparameters", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            hyper = h;
        }
        if (root.TryGetProperty("method", out var method) && method.ValueKind != JsonValueKind.Null)
        {
            if (method.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest("'method' must be an object.", "method");
            }
            Unknown(method, ["type", "supervised", "lora"], "method.");
            var type = String(method, "type", "method.type") ?? "supervised";
            if (type is not ("supervised" or "lora"))
            {
                throw ApiException.BadRequest($"'method.type' '{type}' is not supported: this service trains LoRA adapters with supervised data ('supervised' or 'lora').", "method.type");
            }
            if (method.TryGetProperty("supervised", out var sup) && sup.ValueKind == JsonValueKind.Object && sup.TryGetProperty("hyperparameters", out var sh))
            {
                hyper = sh;
                hyperParam = "method.supervised.hyperparameters";
            }
            if (method.TryGetProperty("lora", out var l) && l.ValueKind != JsonValueKind.Null)
            {
                lora = l;
            }
        }
        int epochs = 3, batch = 4, rank = 8;
        double multiplier = 1, alpha = 16, lr;
        double? explicitLr = null;
        if (hyper.ValueKind != JsonValueKind.Undefined)
        {
            if (hyper.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest($"'{hyperParam}' must be an object.", hyperParam);
            }
            Unknown(hyper, HyperFields, hyperParam + ".");
            epochs = Int(hyper, "n_epochs", hyperParam, 1, 50) ?? epochs;
            batch = Int(hyper, "batch_size", hyperParam, 1, 256) ?? batch;
            multiplier = Number(hyper, "learning_rate_multiplier", hyperParam, 1e-6, 100) ?? multiplier;
            explicitLr = Number(hyper, "learning_rate", hyperParam, 1e-8, 1);
        }
        lr = explicitLr ?? BaseLearningRate * multiplier;
        IReadOnlyList<string> targets = ["q_proj", "k_proj", "v_proj", "o_proj"];
        bool rs = false;
        if (lora.ValueKind != JsonValueKind.Undefined)
        {
            if (lora.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest("'method.lora' must be an object.", "method.lora");
            }
            Unknown(lora, LoraFields, "method.lora.");
            rank = Int(lora, "rank", "method.lora", 1, maxRank) ?? rank;
            alpha = Number(lora, "alpha", "method.lora", 1e-6, 1e6) ?? alpha;
            if (lora.TryGetProperty("use_rslora", out var r) && r.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                rs = r.GetBoolean();
            }
            if (lora.TryGetProperty("target_modules", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() == 0 || t.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    throw ApiException.BadRequest("'method.lora.target_modules' must be a non-empty list of module names.", "method.lora.target_modules");
                }
                var names = t.EnumerateArray().Select(e => e.GetString()!).ToList();
                foreach (var name in names)
                {
                    if (!LoraTargets.TryParse(name, out _))
                    {
                        throw ApiException.BadRequest(
                            $"'method.lora.target_modules' has '{name}'; known modules: {string.Join(", ", LoraTargets.All.Select(LoraTargets.ShortName))}.", "method.lora.target_modules");
                    }
                }
                targets = [.. names.Distinct(StringComparer.Ordinal)];
            }
        }
        return new Request(model, file, suffix, new JobHyperparameters(epochs, batch, lr, explicitLr is null ? multiplier : lr / BaseLearningRate, rank, alpha, targets, rs, seed));
    }

    private static void Unknown(JsonElement obj, string[] known, string prefix)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (!known.Contains(p.Name, StringComparer.Ordinal))
            {
                throw ApiException.BadRequest($"Unknown parameter: '{prefix}{p.Name}'.", prefix + p.Name);
            }
        }
    }

    private static string? String(JsonElement obj, string name, string param) =>
        !obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiException.BadRequest($"'{param}' must be a string.", param);

    private static int? Int(JsonElement obj, string name, string parent, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null || v.ValueKind == JsonValueKind.String && v.GetString() == "auto")
        {
            return null;
        }
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max
            ? i
            : throw ApiException.BadRequest($"'{parent}.{name}' must be \"auto\" or an integer from {min} to {max}.", $"{parent}.{name}");
    }

    private static double? Number(JsonElement obj, string name, string parent, double min, double max)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null || v.ValueKind == JsonValueKind.String && v.GetString() == "auto")
        {
            return null;
        }
        return v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max
            ? d
            : throw ApiException.BadRequest($"'{parent}.{name}' must be \"auto\" or a number from {min} to {max}.", $"{parent}.{name}");
    }
}
