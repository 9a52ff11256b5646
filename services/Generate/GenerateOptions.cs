using System.Globalization;

namespace Platform.Generate;

/// <summary>Command-line options of the generate tool.</summary>
public sealed record GenerateOptions
{
    public string? Model { get; init; }
    public string? CreateDemoModel { get; init; }
    public string Prompt { get; init; } = "Once upon a time";
    public int MaxTokens { get; init; } = 64;
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    public int TopK { get; init; }
    public long? Seed { get; init; }
    public List<string> Stop { get; init; } = [];
    public string Device { get; init; } = "cpu";
    public string DType { get; init; } = "float32";
    public int Count { get; init; } = 1;
    public bool Help { get; init; }

    public const string Usage = """
        usage: generate [--model DIR] [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-p P]
                        [--top-k K] [--seed S] [--stop STRING]... [--n N] [--device cpu|cuda] [--dtype float32|float16|bfloat16]
               generate --create-demo-model DIR

          --model DIR           a Hugging Face model directory (config.json, *.safetensors, tokenizer.json);
                                default: the demo model made by set-up (random weights, random text)
          --n N                 generate N completions of the prompt in one batch
        """;

    public static GenerateOptions Parse(string[] args)
    {
        var o = new GenerateOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--model" => o with { Model = Next() },
                "--create-demo-model" => o with { CreateDemoModel = Next() },
                "--prompt" => o with { Prompt = Next() },
                "--max-tokens" => o with { MaxTokens = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--temperature" => o with { Temperature = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--top-p" => o with { TopP = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--top-k" => o with { TopK = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--stop" => o with { Stop = [.. o.Stop, Next()] },
                "--n" => o with { Count = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--device" => o with { Device = Next() },
                "--dtype" => o with { DType = Next() },
                "-h" or "--help" => o with { Help = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return o;
    }
}
