using Platform.Engine.Lora;

namespace Platform.Gateway.Adapters;

/// <summary>
/// Adapters in Split mode: the Gateway checks the adapter's config here, and every request under it carries
/// its name and path (<c>GenerationSpec.lora</c>), from which each Prefill and Decode instance loads it on first
/// use, evicting its least recently used idle adapter when full. The path must be readable by the workers
/// (shared storage, the same volume in Kubernetes). Unloading stops new requests at the Gateway; workers drop
/// the weights when they need the room.
/// </summary>
public sealed class SplitAdapterHost : IAdapterHost
{
    public Task LoadAdapterAsync(string engineName, string path, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
        {
            throw new LoraAdapterException($"adapter '{engineName}': directory {path} not found");
        }
        LoraAdapterConfig.Read(Path.Combine(path, "adapter_config.json"));
        if (!File.Exists(Path.Combine(path, "adapter_model.safetensors")))
        {
            throw new LoraAdapterException($"adapter '{engineName}': {Path.Combine(path, "adapter_model.safetensors")} not found");
        }
        return Task.CompletedTask;
    }

    public Task UnloadAdapterAsync(string engineName, CancellationToken cancellationToken) => Task.CompletedTask;
}
