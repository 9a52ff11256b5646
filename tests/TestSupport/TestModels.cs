namespace Platform.TestSupport;

/// <summary>Locates the shared real checkpoint and this build's output.</summary>
public static class TestModels
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Release or Debug: whichever this test assembly was built as.</summary>
    public static string Configuration { get; } = FindConfiguration();

    public static string? Stories260K
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "models", "stories260K", "hf"));
            return File.Exists(Path.Combine(dir, "model.safetensors")) ? dir : null;
        }
    }

    /// <summary>The checkpoint's directory; skips the calling [SkippableFact] when it is absent.</summary>
    public static string RequireStories260K()
    {
        var dir = Stories260K;
        Skip.If(dir is null, "needs the real checkpoint at ../shared/models/stories260K/hf beside the repository");
        return dir!;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }

    private static string FindConfiguration()
    {
        var parts = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        int bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Release";
    }
}
