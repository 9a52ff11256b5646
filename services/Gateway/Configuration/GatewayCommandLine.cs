namespace Platform.Gateway.Configuration;

/// <summary>
/// The run command's conveniences: <c>--model DIR</c>, <c>--served-model-name NAME</c> and <c>--port N</c> become
/// <c>--Gateway:ModelPath</c>, <c>--Gateway:ServedModelName</c> and <c>--urls http://0.0.0.0:N</c>; everything
/// else passes through to ASP.NET Core's configuration (e.g. <c>--Engine:Device cuda</c>).
/// </summary>
public static class GatewayCommandLine
{
    public static string[] Expand(string[] args)
    {
        var result = new List<string>(args.Length);
        for (int i = 0; i < args.Length; i++)
        {
            var (name, inline) = Split(args[i]);
            var mapped = name switch
            {
                "--model" => "--Gateway:ModelPath",
                "--served-model-name" => "--Gateway:ServedModelName",
                "--port" => "--urls",
                _ => null,
            };
            if (mapped is null)
            {
                result.Add(args[i]);
                continue;
            }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value"));
            result.Add(mapped);
            result.Add(name == "--port" ? $"http://0.0.0.0:{value}" : value);
        }
        return [.. result];
    }

    private static (string Name, string? Value) Split(string arg)
    {
        int eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }
}
