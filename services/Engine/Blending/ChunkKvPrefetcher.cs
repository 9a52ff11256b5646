using System.Diagnostics;

namespace Platform.Engine.Blending;

/// <summary>
/// Loads the chunks' KV layer by layer in the background, in layer order (every chunk of a layer at once),
/// as far ahead of the blend's compute as the store allows: layer l+1 is on its way while layer l computes.
/// One deadline covers all loads. Layers never taken are disposed when they arrive. With a
/// <see cref="ChunkKvPlacement"/>, the layers it places are written into the cache as they arrive (on the
/// loading thread) and taken as empty; once disposed, the prefetcher places nothing more, so a fallback that
/// recomputes the prompt into the same blocks is never overwritten by a late layer.
/// </summary>
internal sealed class ChunkKvPrefetcher : IDisposable
{
    private readonly IReadOnlyList<IChunkKvSource> _sources;
    private readonly Task<ChunkKvLayer[]>?[] _layers;
    private readonly CancellationTokenSource _cancel;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _timeout;
    private readonly Task _all;
    private readonly long _kvHeads;
    private readonly long _headDim;
    private readonly ChunkKvPlacement? _placement;
    private readonly Lock _gate = new();
    private bool _closed;
    private long _bytesLoaded;

    /// <param name="needed">The layers to load; others are never asked for.</param>
    /// <param name="placement">Places the layers it covers into the cache on arrival; null: every layer is handed out.</param>
    public ChunkKvPrefetcher(
        IReadOnlyList<IChunkKvSource> sources, int numLayers, int kvHeads, int headDim, Func<int, bool> needed, TimeSpan timeout,
        ChunkKvPlacement? placement = null)
    {
        _sources = sources;
        _placement = placement;
        _kvHeads = kvHeads;
        _headDim = headDim;
        _timeout = timeout;
        _cancel = new CancellationTokenSource(timeout);
        _layers = new Task<ChunkKvLayer[]>?[numLayers];
        Task? previous = null;
        for (int layer = 0; layer < numLayers; layer++)
        {
            if (!needed(layer))
            {
                continue;
            }
            var after = previous;
            int l = layer;
            // Off the engine thread, so a store that answers synchronously still overlaps the compute.
            var task = Task.Run(() => LoadAsync(after, l));
            _layers[layer] = task;
            previous = task;
        }
        _all = Task.WhenAll(_layers.Where(t => t is not null)!);
    }

    /// <summary>True once every layer has arrived with the right shapes: nothing can make the blend fall back any more.</summary>
    public bool AllLoaded => _all.IsCompletedSuccessfully;

    /// <summary>Bytes of chunk KV that arrived (taken or placed, or not yet).</summary>
    public long BytesLoaded => Interlocked.Read(ref _bytesLoaded);

    /// <summary>Whether <paramref name="layer"/> is written into the cache on arrival (and taken as an empty array).</summary>
    public bool PlacesOnArrival(int layer) => _placement?.Places(layer) == true;

    /// <summary>
    /// Waits for one layer of every chunk (the caller owns the tensors), in the order of the sources; for a layer
    /// placed on arrival, waits until it is in the cache and returns no tensors.
    /// Throws <see cref="ChunkKvUnavailableException"/> or <see cref="TimeoutException"/> when it cannot be had.
    /// </summary>
    public ChunkKvLayer[] Take(int layer)
    {
        var task = _layers[layer] ?? throw new InvalidOperationException($"layer {layer} was not prefetched");
        var left = _timeout - _clock.Elapsed;
        ChunkKvLayer[] result;
        try
        {
            // What has arrived is used however long the compute took; only a load still missing can time out.
            if (!task.IsCompleted && (left <= TimeSpan.Zero || !task.Wait(left)))
            {
                throw new TimeoutException($"chunk KV of layer {layer} did not arrive within {_timeout.TotalMilliseconds:F0} ms");
            }
            result = task.Result;
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            throw new TimeoutException($"chunk KV of layer {layer} did not arrive within {_timeout.TotalMilliseconds:F0} ms", e.InnerException);
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException ?? e;
            throw inner as ChunkKvUnavailableException ?? new ChunkKvUnavailableException($"loading chunk KV of layer {layer} failed: {inner.Message}", inner);
        }
        _layers[layer] = null;
        return result;
    }

    private async Task<ChunkKvLayer[]> LoadAsync(Task? previous, int layer)
    {
        if (previous is not null)
        {
            await previous.ConfigureAwait(false);
        }
        var loads = _sources.Select(s => s.LoadLayerAsync(layer, _cancel.Token)).ToArray();
        ChunkKvLayer[] layers;
        try
        {
            layers = await Task.WhenAll(loads).ConfigureAwait(false);
            for (int i = 0; i < layers.Length; i++)
            {
                long[] expected = [_sources[i].TokenCount, _kvHeads, _headDim];
                if (!layers[i].KeysShape.SequenceEqual(expected) || !layers[i].ValuesShape.SequenceEqual(expected))
                {
                    throw new ChunkKvUnavailableException(
                        $"chunk KV of layer {layer} has shapes [{string.Join(", ", layers[i].KeysShape)}]/[{string.Join(", ", layers[i].ValuesShape)}], expected [{string.Join(", ", expected)}]");
                }
            }
        }
        catch
        {
            foreach (var load in loads.Where(l => l.IsCompletedSuccessfully))
            {
                load.Result.Dispose();
            }
            throw;
        }
        Interlocked.Add(ref _bytesLoaded, layers.Sum(l => l.Bytes));
        if (_placement is null || !_placement.Places(layer))
        {
            return layers;
        }
        try
        {
            lock (_gate)
            {
                if (_closed)
                {
                    throw new OperationCanceledException($"chunk KV of layer {layer} arrived after the blend ended");
                }
                _placement.Place(layer, layers);
            }
        }
        finally
        {
            foreach (var loaded in layers)
            {
                loaded.Dispose();
            }
        }
        return [];
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // From here on no layer is placed: the blocks may already be recomputed (a fallback) or freed.
            _closed = true;
        }
        _cancel.Cancel();
        foreach (var task in _layers)
        {
            // Arrived or still arriving but never taken (the blend fell back or ended): free the tensors.
            task?.ContinueWith(
                t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        foreach (var layer in t.Result)
                        {
                            layer.Dispose();
                        }
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        Array.Clear(_layers);
        // _cancel is not disposed: loads still running may read its token.
    }
}
