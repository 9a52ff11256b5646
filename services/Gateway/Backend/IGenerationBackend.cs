using Platform.Engine.Serving;

namespace Platform.Gateway.Backend;

/// <summary>
/// Where the Gateway's generation requests go: one engine in this process (<see cref="LocalEngineBackend"/>)
/// or Prefill and Decode instances over gRPC (<see cref="SplitBackend"/>). The endpoints know only this.
/// </summary>
public interface IGenerationBackend
{
    /// <summary>The served model, once it can serve; null while loading or after a failed load.</summary>
    ModelInfo? Model { get; }

    /// <summary>Why <see cref="Model"/> is null (loading, failed), for readiness checks and 503 answers.</summary>
    string NotReadyReason { get; }

    /// <summary>Load of the serving engine(s), or null when not known.</summary>
    EngineStats? Stats();

    /// <summary>
    /// Validates and queues a request. Throws <see cref="ArgumentException"/> for input the engine refuses
    /// and <see cref="BackendUnavailableException"/> when nothing can serve it now. Disposing the returned
    /// stream before its final event cancels the request and frees its KV.
    /// </summary>
    ValueTask<IGenerationStream> StartAsync(GenerationRequest request, CancellationToken cancellationToken);
}
