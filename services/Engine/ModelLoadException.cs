namespace Platform.Engine;

/// <summary>A checkpoint or config the engine cannot load; the message names the file and the problem.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message) : base(message) { }

    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}
