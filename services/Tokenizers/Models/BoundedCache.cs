using System.Collections.Concurrent;

namespace Platform.Tokenizers;

/// <summary>
/// A thread-safe cache that stops admitting entries once full, as Hugging Face's BPE cache does:
/// the frequent words of a language arrive early, and no eviction bookkeeping sits on the hot path.
/// </summary>
internal sealed class BoundedCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new();

    public int Count => _entries.Count;

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public void TryAdd(TKey key, TValue value)
    {
        // Count is approximate under races; overshooting by a few entries is harmless.
        if (_entries.Count < capacity)
        {
            _entries.TryAdd(key, value);
        }
    }
}
