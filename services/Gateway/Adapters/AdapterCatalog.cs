using Platform.Engine.Lora;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Adapters;

/// <summary>
/// The LoRA adapters this Gateway serves and whom they belong to. A tenant's adapter lives in the engine as
/// <c>{tenant}/{name}</c>, so two tenants may use the same name and neither can see, use or unload the
/// other's (it answers 404, as if absent). Shared adapters (loaded without a tenant) are visible to everyone.
/// </summary>
public sealed class AdapterCatalog(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServedAdapter> _byEngineName = new(StringComparer.Ordinal);

    /// <summary>The adapter <paramref name="name"/> as <paramref name="caller"/> sees it: its own first, then a shared one.</summary>
    public ServedAdapter? Find(string name, CallerIdentity caller)
    {
        lock (_lock)
        {
            if (caller.Tenant is { } tenant && _byEngineName.TryGetValue(EngineName(tenant, name), out var own))
            {
                return own;
            }
            return _byEngineName.TryGetValue(name, out var shared) ? shared : null;
        }
    }

    public IReadOnlyList<ServedAdapter> Visible(CallerIdentity caller)
    {
        lock (_lock)
        {
            return [.. _byEngineName.Values.Where(a => a.Tenant is null || a.Tenant == caller.Tenant).OrderBy(a => a.Name, StringComparer.Ordinal)];
        }
    }

    public async Task<ServedAdapter> LoadAsync(IAdapterHost host, string name, string path, string? tenant, CancellationToken ct)
    {
        string engineName = EngineName(tenant, name);
        lock (_lock)
        {
            if (_byEngineName.ContainsKey(engineName))
            {
                throw new LoraAdapterException($"The lora adapter '{name}' has already been loaded.", LoraErrorKind.AlreadyLoaded);
            }
        }
        await host.LoadAdapterAsync(engineName, path, ct).ConfigureAwait(false);
        var adapter = new ServedAdapter(name, tenant, path, engineName, time.GetUtcNow());
        lock (_lock)
        {
            _byEngineName[engineName] = adapter;
        }
        return adapter;
    }

    public async Task UnloadAsync(IAdapterHost host, ServedAdapter adapter, CancellationToken ct)
    {
        lock (_lock)
        {
            _byEngineName.Remove(adapter.EngineName);
        }
        await host.UnloadAdapterAsync(adapter.EngineName, ct).ConfigureAwait(false);
    }

    public static string EngineName(string? tenant, string name) => tenant is null ? name : $"{tenant}/{name}";
}
