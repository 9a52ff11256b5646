using System.Diagnostics;

namespace Platform.Engine.Blending;

/// <summary>
/// Loads the chunks' KV layer by layer in the background, in layer order (every chunk of a layer at once),
/// as far ahead of the blend's compute as the store allows: layer l+1 is on its way while layer l computes.
/// One deadline covers all loads. Layers never taken are disposed when they arrive.
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

    /// <param name="needed">The layers to load; others are never asked for.</param>
    public ChunkKvPrefetcher(
        IReadOnlyList<IChunkKvSource> sources, int numLayers, int kvHeads, int headDim, Func<int, bool> needed, TimeSpan timeout)
    {
        _sources = sources;
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

    public long BytesLoaded { get; private set; }

    /// <summary>
    /// Waits for one layer of every chunk (the caller owns the tensors), in the order of the sources.
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
        BytesLoaded += result.Sum(l => (l.Keys.NumberOfElements * l.Keys.ElementSize) + (l.Values.NumberOfElements * l.Values.ElementSize));
        return result;
    }

    private async Task<ChunkKvLayer[]> LoadAsync(Task? previous, int layer)
    {
        if (previous is not null)
        {
            await previous.ConfigureAwait(false);
        }
        var loads = _sources.Select(s => s.LoadLayerAsync(layer, _cancel.Token)).ToArray();
        try
        {
            var layers = await Task.WhenAll(loads).ConfigureAwait(false);
            for (int i = 0; i < layers.Length; i++)
            {
                long[] expected = [_sources[i].TokenCount, _kvHeads, _headDim];
                if (!layers[i].Keys.shape.SequenceEqual(expected) || !layers[i].Values.shape.SequenceEqual(expected))
                {
                    throw new ChunkKvUnavailableException(
                        $"chunk KV of layer {layer} has shapes [{string.Join(", ", layers[i].Keys.shape)}]/[{string.Join(", ", layers[i].Values.shape)}], expected [{string.Join(", ", expected)}]");
                }
            }
            return layers;
        }
        catch
        {
            foreach (var load in loads.Where(l => l.IsCompletedSuccessfully))
            {
                load.Result.Dispose();
            }
            throw;
        }
    }

    public void Dispose()
    {
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
