using Platform.Engine.Serving;
using Platform.Gateway.Backend;
using Platform.Tokenizers;

namespace Platform.Gateway.Tests;

/// <summary>A backend still loading its model: nothing can be served.</summary>
public sealed class LoadingBackend : IGenerationBackend
{
    public ModelInfo? Model => null;
    public string NotReadyReason => "the model is loading";
    public EngineStats? Stats() => null;
    public ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken) =>
        throw new BackendUnavailableException(NotReadyReason);
}

/// <summary>A ready backend whose engine fails with an internal error that must not reach the client.</summary>
public sealed class FailingBackend(Tokenizer tokenizer) : IGenerationBackend
{
    public const string Secret = "segfault at /opt/secret/path";
    public ModelInfo? Model { get; } = new(tokenizer, 512, 512, DateTimeOffset.UnixEpoch);
    public string NotReadyReason => "";
    public EngineStats? Stats() => null;
    public ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException(Secret);
}
