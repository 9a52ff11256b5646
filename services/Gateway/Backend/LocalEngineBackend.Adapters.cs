using Platform.Gateway.Adapters;

namespace Platform.Gateway.Backend;

public sealed partial class LocalEngineBackend : IAdapterHost
{
    public Task LoadAdapterAsync(string engineName, string path, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new BackendUnavailableException(_notReadyReason);
        // Reading and validating the files is CPU and disk work: off the request thread.
        return Task.Run(() => engine.Adapters.Load(engineName, path), cancellationToken);
    }

    public Task UnloadAdapterAsync(string engineName, CancellationToken cancellationToken)
    {
        var engine = _engine ?? throw new BackendUnavailableException(_notReadyReason);
        engine.Adapters.Unload(engineName);
        return Task.CompletedTask;
    }
}
