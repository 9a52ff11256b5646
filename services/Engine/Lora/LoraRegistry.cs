using Platform.Engine.Model;

namespace Platform.Engine.Lora;

/// <summary>
/// The adapters resident in one engine, loaded and unloaded at run time. Limits: at most
/// <see cref="MaxLoras"/> resident and rank at most <see cref="MaxLoraRank"/> (vLLM's max_loras and
/// max_lora_rank). Requests acquire an adapter for their lifetime: unloading removes the name at once
/// (new requests get not-found) and frees the weights when the last request holding it ends.
/// </summary>
public sealed class LoraRegistry : IDisposable
{
    private const int MaxNameLength = 128;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LoraAdapter> _byName = new(StringComparer.Ordinal);
    private readonly List<LoraAdapter> _draining = [];
    private readonly LlamaModel _model;
    private long _clock;

    public LoraRegistry(LlamaModel model, int maxLoras, int maxLoraRank)
    {
        if (maxLoras < 0 || maxLoraRank < 1)
        {
            throw new ArgumentException($"MaxLoras ({maxLoras}) must be >= 0 and MaxLoraRank ({maxLoraRank}) >= 1");
        }
        _model = model;
        MaxLoras = maxLoras;
        MaxLoraRank = maxLoraRank;
    }

    public int MaxLoras { get; }
    public int MaxLoraRank { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byName.Count;
            }
        }
    }

    /// <summary>Loads a PEFT adapter directory under <paramref name="name"/>.</summary>
    public LoraAdapterInfo Load(string name, string path)
    {
        CheckName(name);
        if (!Directory.Exists(path))
        {
            throw new LoraAdapterException($"adapter '{name}': directory {path} not found");
        }
        lock (_lock)
        {
            CheckRoom(name);
        }
        var config = LoraAdapterConfig.Read(Path.Combine(path, "adapter_config.json"));
        CheckRank(name, config.Rank);
        // The adapter's files are read outside the lock; the checks run again before it is added.
        var adapter = LoraAdapter.Load(name, path, _model.Config, _model.DType, _model.Device);
        return Add(adapter);
    }

    /// <summary>Registers an adapter made in memory (a fine-tuning result); the registry owns it afterwards.</summary>
    public LoraAdapterInfo Add(LoraAdapter adapter)
    {
        try
        {
            CheckName(adapter.Name);
            CheckRank(adapter.Name, adapter.Rank);
            lock (_lock)
            {
                CheckRoom(adapter.Name);
                _byName[adapter.Name] = adapter;
            }
            return Info(adapter);
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>Removes the adapter; its weights are freed when no request holds it any more.</summary>
    public void Unload(string name)
    {
        lock (_lock)
        {
            if (!_byName.Remove(name, out var adapter))
            {
                throw NotFound(name);
            }
            adapter.Unloaded = true;
            if (adapter.References == 0)
            {
                adapter.Dispose();
            }
            else
            {
                _draining.Add(adapter);
            }
        }
    }

    public bool Contains(string name)
    {
        lock (_lock)
        {
            return _byName.ContainsKey(name);
        }
    }

    /// <summary>Takes the adapter for one request; pair with <see cref="Release"/>.</summary>
    public LoraAdapter Acquire(string name)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue(name, out var adapter))
            {
                throw NotFound(name);
            }
            adapter.References++;
            adapter.LastUsed = ++_clock;
            return adapter;
        }
    }

    /// <summary>
    /// Takes the adapter, first loading it from <paramref name="path"/> when it is not resident (or resident
    /// from another path and idle). When the registry is full, the least recently used idle adapter is evicted.
    /// </summary>
    public LoraAdapter AcquireOrLoad(string name, string path)
    {
        lock (_lock)
        {
            if (_byName.TryGetValue(name, out var resident) && string.Equals(resident.Path, path, StringComparison.Ordinal))
            {
                resident.References++;
                resident.LastUsed = ++_clock;
                return resident;
            }
        }
        CheckName(name);
        if (!Directory.Exists(path))
        {
            throw new LoraAdapterException($"adapter '{name}': directory {path} not found");
        }
        CheckRank(name, LoraAdapterConfig.Read(Path.Combine(path, "adapter_config.json")).Rank);
        var loaded = LoraAdapter.Load(name, path, _model.Config, _model.DType, _model.Device);
        lock (_lock)
        {
            if (_byName.TryGetValue(name, out var resident))
            {
                if (string.Equals(resident.Path, path, StringComparison.Ordinal))
                {
                    // Another request loaded it meanwhile.
                    loaded.Dispose();
                    resident.References++;
                    resident.LastUsed = ++_clock;
                    return resident;
                }
                if (resident.References > 0)
                {
                    loaded.Dispose();
                    throw new LoraAdapterException(
                        $"adapter '{name}' is resident from {resident.Path} and in use; it cannot be replaced by {path} now", LoraErrorKind.LimitExceeded);
                }
                RemoveLocked(resident);
            }
            while (_byName.Count + _draining.Count >= MaxLoras)
            {
                var idle = _byName.Values.Where(a => a.References == 0).MinBy(a => a.LastUsed);
                if (idle is null)
                {
                    loaded.Dispose();
                    throw new LoraAdapterException(
                        $"cannot load LoRA adapter '{name}': all {MaxLoras} resident adapters (EngineOptions.MaxLoras) are in use", LoraErrorKind.LimitExceeded);
                }
                RemoveLocked(idle);
            }
            _byName[name] = loaded;
            loaded.References++;
            loaded.LastUsed = ++_clock;
            return loaded;
        }
    }

    public void Release(LoraAdapter adapter)
    {
        lock (_lock)
        {
            adapter.References--;
            if (adapter.Unloaded && adapter.References == 0 && _draining.Remove(adapter))
            {
                adapter.Dispose();
            }
        }
    }

    public IReadOnlyList<LoraAdapterInfo> List()
    {
        lock (_lock)
        {
            return [.. _byName.Values.OrderBy(a => a.Name, StringComparer.Ordinal).Select(Info)];
        }
    }

    private void RemoveLocked(LoraAdapter adapter)
    {
        _byName.Remove(adapter.Name);
        adapter.Unloaded = true;
        adapter.Dispose();
    }

    private static LoraAdapterInfo Info(LoraAdapter a) => new(a.Name, a.Path, a.Rank, a.Scale, a.Config.Targets, a.CacheKey);

    private static LoraAdapterException NotFound(string name) =>
        new($"LoRA adapter '{name}' is not loaded", LoraErrorKind.NotFound);

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new LoraAdapterException($"adapter name '{name}' is invalid: 1 to {MaxNameLength} characters, no whitespace");
        }
    }

    private void CheckRank(string name, int rank)
    {
        if (rank > MaxLoraRank)
        {
            throw new LoraAdapterException(
                $"adapter '{name}' has rank {rank}, above this engine's max LoRA rank {MaxLoraRank} (EngineOptions.MaxLoraRank)",
                LoraErrorKind.LimitExceeded);
        }
    }

    private void CheckRoom(string name)
    {
        if (_byName.ContainsKey(name))
        {
            throw new LoraAdapterException($"LoRA adapter '{name}' is already loaded; unload it first", LoraErrorKind.AlreadyLoaded);
        }
        int resident = _byName.Count + _draining.Count;
        if (resident >= MaxLoras)
        {
            throw new LoraAdapterException(
                $"cannot load LoRA adapter '{name}': {resident} adapters are resident and the limit is {MaxLoras} (EngineOptions.MaxLoras); unload one first",
                LoraErrorKind.LimitExceeded);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var a in _byName.Values.Concat(_draining))
            {
                a.Dispose();
            }
            _byName.Clear();
            _draining.Clear();
        }
    }
}
