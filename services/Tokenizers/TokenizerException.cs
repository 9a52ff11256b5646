namespace Platform.Tokenizers;

/// <summary>A tokenizer file could not be loaded: it is malformed or uses a feature this library does not support.</summary>
public sealed class TokenizerException : Exception
{
    /// <summary>Creates an exception whose message names the offending file and the problem.</summary>
    public TokenizerException(string source, string problem, Exception? inner = null)
        : base($"{source}: {problem}", inner)
    {
        Source = source;
        Problem = problem;
    }

    /// <summary>The file (or logical name) the problem was found in.</summary>
    public new string Source { get; }

    /// <summary>The problem, without the file name.</summary>
    public string Problem { get; }
}
