using System.Diagnostics;

namespace Platform.Deployment.Tests;

/// <summary>Each service's Dockerfile, read as text, and the CPU/CUDA switch it relies on (ServiceImageTests build and run them).</summary>
public sealed class DockerfileTests
{
    [Theory]
    [InlineData("Gateway", "8000")]
    [InlineData("Prefill", "8080")]
    [InlineData("Decode", "8080")]
    [InlineData("KvStore", "8080")]
    [InlineData("Finetune", "8000")]
    public void IsMultiStageNonRootWithAHealthCheck(string service, string httpPort)
    {
        var text = File.ReadAllText(RepositoryPaths.Dockerfile(service));
        var lines = text.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["FROM ${SDK_IMAGE} AS build", "FROM ${RUNTIME_IMAGE} AS runtime"], froms);
        // Microsoft's images by default, on Ubuntu noble: libstdc++ with GLIBCXX_3.4.32, as TorchSharp needs.
        Assert.Contains("ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble", lines);
        Assert.Contains("ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble", lines);
        // A "# syntax=" line would make BuildKit pull a frontend image, which a machine without registry access lacks.
        Assert.DoesNotContain(lines, l => l.StartsWith("# syntax=", StringComparison.Ordinal));
        Assert.Contains("USER $APP_UID", lines);
        Assert.Contains(lines, l => l.StartsWith("ARG TORCH_BACKEND=cpu", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"dotnet publish services/{service}/Platform.{service}.csproj", StringComparison.Ordinal)
            && l.Contains("-p:TorchBackend=${TORCH_BACKEND}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{httpPort}/health", StringComparison.Ordinal));
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"Platform.{service}.dll\"]", lines);
        var env = ContainerEnvironment.DockerfileEnv(text);
        Assert.Equal($"http://*:{httpPort}", env["Kestrel__Endpoints__Http__Url"]);
    }

    [SkippableTheory]
    [InlineData("Gateway")]
    [InlineData("Prefill")]
    [InlineData("Decode")]
    [InlineData("KvStore")]
    [InlineData("Finetune")]
    public void PublishesAProjectThatExists(string service)
    {
        var project = Path.Combine(RepositoryPaths.Root, "services", service, $"Platform.{service}.csproj");
        Skip.If(service == "KvStore" && !File.Exists(project), "services/KvStore is not in this branch yet");
        Assert.True(File.Exists(project), project);
    }

    [Fact]
    public void TheBuildContextLeavesOutBuildOutputs()
    {
        var ignore = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
        Assert.Contains(".packages/", ignore);
    }

    [Fact]
    public async Task TorchBackendCudaSwapsTheLibtorchNatives()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        foreach (var arg in new[] { "msbuild", "services/Engine/Platform.Engine.csproj", "-getItem:PackageReference", "-p:TorchBackend=cuda", "-nologo" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("\"libtorch-cuda-12.8-linux-x64\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"libtorch-cpu-linux-x64\"", output, StringComparison.Ordinal);
        Assert.Contains("Include=\"libtorch-cuda-12.8-linux-x64\"", File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Directory.Packages.props")), StringComparison.Ordinal);
    }
}
