using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// A dummy Llama with real compute per token, written to a temporary directory as a Hugging Face checkpoint that
/// service processes load: hidden 512, 8 layers, 8 KV heads, 2048 positions and the demo model's byte tokenizer
/// (25M parameters; KV 32 KiB per token). Disposing deletes the directory, and so does a SIGTERM or SIGINT that
/// stops the benchmark (the signal then ends the process as it would have).
/// </summary>
public sealed class ComputeModel : IDisposable
{
    public static readonly ModelConfig Config = DemoModel.Config with
    {
        HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 8, NumAttentionHeads = 8, NumKeyValueHeadsField = 8,
        MaxPositionEmbeddings = 2048,
    };

    private readonly ExitCleanup _onExit;

    private ComputeModel(string directory)
    {
        Directory = directory;
        _onExit = new ExitCleanup(Delete);
    }

    public string Directory { get; }

    /// <param name="name">Part of the directory's name (which benchmark wrote it).</param>
    public static ComputeModel Create(string name)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"platform-{name}-{Environment.ProcessId}");
        DemoModel.Create(directory, Config);
        return new ComputeModel(directory);
    }

    public void Dispose()
    {
        _onExit.Dispose();
        Delete();
    }

    private void Delete()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted already (a signal arrived while the benchmark was disposing it).
        }
    }
}
