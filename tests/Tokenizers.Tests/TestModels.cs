using Xunit.Abstractions;

namespace Platform.Tokenizers.Tests;

/// <summary>Locates the shared stories260K checkpoint (../shared/models/stories260K/hf beside the repository).</summary>
internal static class TestModels
{
    /// <summary>The stories260K tokenizer directory, or null when this checkout has no shared/ beside it.</summary>
    public static string? Stories260KDirectory
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Platform.sln")))
            {
                root = root.Parent;
            }

            if (root is null)
            {
                return null;
            }

            var dir = Path.GetFullPath(Path.Combine(root.FullName, "..", "shared", "models", "stories260K", "hf"));
            return File.Exists(Path.Combine(dir, "tokenizer.json")) ? dir : null;
        }
    }

    private static readonly Lazy<Tokenizer?> Stories = new(() =>
        Stories260KDirectory is { } dir ? Tokenizer.FromDirectory(dir) : null);

    /// <summary>The loaded stories260K tokenizer; skips the calling [SkippableFact] when it is absent.</summary>
    public static Tokenizer RequireStories260K()
    {
        Skip.If(Stories.Value is null, "needs the real tokenizer at ../shared/models/stories260K/hf beside the repository");
        return Stories.Value!;
    }

    /// <summary>The loaded stories260K tokenizer, or null after telling the test output why it is left out.</summary>
    public static Tokenizer? Stories260K(ITestOutputHelper output)
    {
        if (Stories.Value is null)
        {
            output.WriteLine("SKIPPED: needs the real tokenizer at ../shared/models/stories260K/hf beside the repository");
        }

        return Stories.Value;
    }
}
