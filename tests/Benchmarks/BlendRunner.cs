using Platform.Engine.Blending;
using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Benchmarks;

/// <summary>
/// The model runner, a private KV cache and CacheBlend's forward pass side by side, so the quality benchmark
/// can read full next-token distributions of a full prefill, a prefix-cache hit and blends at several ratios.
/// </summary>
internal sealed class BlendRunner : IDisposable
{
    private readonly LlamaModel _model;
    private readonly PagedKvCache _cache;
    private readonly ModelRunner _runner;
    private readonly RopeReRotation _rope;
    private int _nextBlock;

    public BlendRunner(LlamaModel model, int numBlocks)
    {
        _model = model;
        _cache = new PagedKvCache(model.Config, numBlocks, 16, model.DType, model.Device);
        _runner = new ModelRunner(model, _cache);
        _rope = new RopeReRotation(model.Config);
    }

    /// <summary>Frees every block (a new prompt starts with an empty cache).</summary>
    public void Reset() => _nextBlock = 0;

    public int[] Allocate(int tokens)
    {
        int count = (tokens + 15) / 16;
        if (_nextBlock + count > _cache.NumBlocks)
        {
            throw new InvalidOperationException("benchmark KV cache too small");
        }
        var blocks = Enumerable.Range(_nextBlock, count).ToArray();
        _nextBlock += count;
        return blocks;
    }

    /// <summary>KV of <c>[BOS] + chunk</c> with the BOS row dropped, as a chunk store holds it.</summary>
    public InMemoryChunkKv ChunkKv(int bos, int[] chunk)
    {
        int[] tokens = [bos, .. chunk];
        var blocks = Allocate(tokens.Length);
        using var scope = NewDisposeScope();
        _runner.Execute([new RunnerChunk(tokens, 0, tokens.Length, blocks, false)]);
        var layers = new ChunkKvLayer[_cache.NumLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            var (k, v) = _cache.ExportLayer(l, blocks, tokens.Length);
            layers[l] = new ChunkKvLayer(k.narrow(0, 1, chunk.Length).clone().DetachFromDisposeScope(), v.narrow(0, 1, chunk.Length).clone().DetachFromDisposeScope());
        }
        return new InMemoryChunkKv(layers, 1);
    }

    /// <summary>Log-probabilities [vocab] (float64) after a full prefill of the prompt.</summary>
    public Tensor Full(int[] prompt, int[] blocks) =>
        LogSoftmax(_runner.Execute([new RunnerChunk(prompt, 0, prompt.Length, blocks, true)])!);

    /// <summary>A prefix-cache hit: the first <paramref name="cached"/> tokens computed by an earlier request, the rest now.</summary>
    public Tensor Prefix(int[] prompt, int cached, int[] blocks)
    {
        _runner.Execute([new RunnerChunk(prompt, 0, cached, blocks, false)]);
        return LogSoftmax(_runner.Execute([new RunnerChunk(prompt, cached, prompt.Length - cached, blocks, true)])!);
    }

    public Tensor Blend(int[] prompt, BlendSpec spec, int[] blocks)
    {
        var plan = BlendPlan.Create(spec, prompt.Length);
        using var loads = new ChunkKvPrefetcher(
            plan.Sources, _cache.NumLayers, _cache.NumKvHeads, _cache.HeadDim, l => BlendedPrefill.NeedsLayer(plan, l), TimeSpan.FromMinutes(1));
        var (logits, _) = new BlendedPrefill(_model, _cache, _rope).Run(prompt, blocks, plan, loads, null);
        return LogSoftmax(logits);
    }

    /// <summary>Feeds <paramref name="forced"/> one token at a time after the prompt; the log-probabilities after each.</summary>
    public List<Tensor> TeacherForced(int[] prompt, int[] forced, int[] blocks)
    {
        int[] tokens = [.. prompt, .. forced];
        var result = new List<Tensor>();
        for (int i = 0; i < forced.Length - 1; i++)
        {
            result.Add(LogSoftmax(_runner.Execute([new RunnerChunk(tokens, prompt.Length + i, 1, blocks, true)])!));
        }
        return result;
    }

    private static Tensor LogSoftmax(Tensor logits) => logits[0].to(ScalarType.Float64).log_softmax(0);

    public void Dispose() => _cache.Dispose();
}
