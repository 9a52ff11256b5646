using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using static Platform.Engine.Tests.BlendHarness;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>
/// Chunk KV placed into the cache on arrival (C#, on the loading thread) against the blend placing each layer
/// with torch ops on its own thread: the same cache, the same logits, bit for bit; and nothing placed once the
/// prefetcher is disposed.
/// </summary>
public sealed class ChunkKvPlacementTests
{
    public static TheoryData<double, int, bool, bool> Cases => new()
    {
        // ratio, hidden size (64: head_dim 16, the vector path; 48: head_dim 12, the scalar path), chunks stored in
        // float16, layers handed out as a store's bytes (placed from them in place) rather than tensors
        { 0.0, 64, false, false },
        { 0.15, 64, false, false },
        { 0.5, 64, false, false },
        { 0.15, 48, false, false },
        { 0.0, 48, true, false },
        { 0.15, 64, true, false },
        { 0.15, 64, false, true },
        { 0.0, 48, false, true },
        { 0.15, 64, true, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Placing_on_arrival_gives_the_cache_and_logits_of_placing_with_torch(double ratio, int hidden, bool float16, bool asBytes)
    {
        var config = TinyConfig() with { HiddenSize = hidden };
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 5 });
        using var harness = new RunnerHarness(model, 96, 16);
        var chunks = new[] { Tokens(80, 30, 96), Tokens(81, 21, 96) };
        var stored = chunks.Select(c => RunnerChunkKv(harness, c, float16 ? ScalarType.Float16 : ScalarType.Float32)).ToArray();
        IChunkKvSource[] kvs = asBytes ? [.. stored.Select(s => new AsBytes(s))] : stored;
        // The first chunk twice: one source, two segments at different positions.
        var (prompt, spec) = Rag(Tokens(82, 6, 96), [(chunks[0], kvs[0]), (chunks[1], kvs[1]), (chunks[0], kvs[0])], Tokens(83, 9, 96), ratio);
        var plan = BlendPlan.Create(spec, prompt.Length);
        var rope = new RopeReRotation(config);

        var torchBlocks = harness.AllocateBlocks(prompt.Length);
        var placedBlocks = harness.AllocateBlocks(prompt.Length);
        using var scope = NewDisposeScope();
        Tensor torchLogits, placedLogits;
        using (var loads = new ChunkKvPrefetcher(plan.Sources, config.NumHiddenLayers, 2, config.HeadDim, l => BlendedPrefill.NeedsLayer(plan, l), TimeSpan.FromSeconds(30)))
        {
            (torchLogits, _) = new BlendedPrefill(model, harness.Cache, rope).Run(prompt, torchBlocks, plan, loads, null);
        }
        var placement = ChunkKvPlacement.For(plan, harness.Cache, rope, placedBlocks, model.Device);
        Assert.NotNull(placement);
        using (var loads = new ChunkKvPrefetcher(plan.Sources, config.NumHiddenLayers, 2, config.HeadDim, l => BlendedPrefill.NeedsLayer(plan, l), TimeSpan.FromSeconds(30), placement))
        {
            Assert.Equal(ratio == 0, loads.PlacesOnArrival(BlendedPrefill.CheckLayer));
            (placedLogits, _) = new BlendedPrefill(model, harness.Cache, rope).Run(prompt, placedBlocks, plan, loads, null);
        }

        Assert.True(Same(torchLogits, placedLogits), $"logits differ by {(torchLogits - placedLogits).abs().max().item<float>()}");
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var (k0, v0) = harness.Cache.ExportLayer(layer, torchBlocks, prompt.Length);
            var (k1, v1) = harness.Cache.ExportLayer(layer, placedBlocks, prompt.Length);
            Assert.True(Same(k0, k1), $"layer {layer}: K differs by {(k0 - k1).abs().max().item<float>()}");
            Assert.True(Same(v0, v1), $"layer {layer}: V differs by {(v0 - v1).abs().max().item<float>()}");
        }
        foreach (var kv in stored)
        {
            kv.Dispose();
        }
    }

    [Fact]
    public void A_layer_made_from_bytes_reads_back_as_the_tensors_and_refuses_lengths_off_its_shape()
    {
        using var keys = arange(24, ScalarType.Float32).view(3, 2, 4);
        using var values = keys * -1;
        var (keyBytes, valueBytes) = (keys.bytes.ToArray(), values.bytes.ToArray());
        using var layer = ChunkKvLayer.FromBytes(keyBytes, valueBytes, ScalarType.Float32, [3, 2, 4]);
        Assert.Equal(192, layer.Bytes);
        Assert.True(layer.TryGetBytes(out var k, out _) && k.Length == 96);
        Assert.True(Same(keys, layer.Keys) && Same(values, layer.Values));
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvLayer.FromBytes(keyBytes.AsMemory(4), valueBytes, ScalarType.Float32, [3, 2, 4]));
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvLayer.FromBytes(keyBytes, valueBytes, ScalarType.Float16, [3, 2, 4]));
        using var tensors = new ChunkKvLayer(keys.clone(), values.clone());
        Assert.False(tensors.TryGetBytes(out _, out _));
    }

    [Fact]
    public void Every_token_recomputed_or_nothing_cached_places_nothing_on_arrival()
    {
        var config = TinyConfig();
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 5 });
        using var harness = new RunnerHarness(model, 32, 16);
        var chunk = Tokens(84, 20, 96);
        using var kv = RunnerChunkKv(harness, chunk);
        var (prompt, full) = Rag(Tokens(85, 4, 96), [(chunk, kv)], Tokens(86, 5, 96), 1.0);
        var (_, none) = Rag(Tokens(85, 4, 96), [(chunk, null)], Tokens(86, 5, 96), 0.15);
        var blocks = harness.AllocateBlocks(prompt.Length);
        var rope = new RopeReRotation(config);
        Assert.Null(ChunkKvPlacement.For(BlendPlan.Create(full, prompt.Length), harness.Cache, rope, blocks, model.Device));
        Assert.Null(ChunkKvPlacement.For(BlendPlan.Create(none, prompt.Length), harness.Cache, rope, blocks, model.Device));
    }

    [Fact]
    public async Task A_layer_that_arrives_after_the_prefetcher_is_disposed_is_not_placed()
    {
        var config = TinyConfig();
        using var model = ModelLoader.CreateDummy(config, new EngineOptions { DummySeed = 5 });
        using var harness = new RunnerHarness(model, 32, 16);
        var chunk = Tokens(87, 20, 96);
        using var kv = RunnerChunkKv(harness, chunk);
        var late = new LateLayer(kv, lateLayer: 2);
        var (prompt, spec) = Rag(Tokens(88, 4, 96), [(chunk, late)], Tokens(89, 5, 96), 0.0);
        var plan = BlendPlan.Create(spec, prompt.Length);
        var blocks = harness.AllocateBlocks(prompt.Length);
        var placement = ChunkKvPlacement.For(plan, harness.Cache, new RopeReRotation(config), blocks, model.Device);
        var loads = new ChunkKvPrefetcher(plan.Sources, config.NumHiddenLayers, 2, config.HeadDim, l => BlendedPrefill.NeedsLayer(plan, l), TimeSpan.FromSeconds(30), placement);
        Assert.Empty(loads.Take(0));
        Assert.Empty(loads.Take(1));
        loads.Dispose();
        late.Release.SetResult();
        var handedOut = await late.HandedOut.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The load's continuation refuses to place it and frees it.
        for (int i = 0; i < 300 && !handedOut.Keys.IsInvalid; i++)
        {
            await Task.Delay(10);
        }
        Assert.True(handedOut.Keys.IsInvalid, "the late layer was never freed");
        using var scope = NewDisposeScope();
        var (placedKeys, _) = harness.Cache.ExportLayer(1, blocks, prompt.Length);
        var (lateKeys, lateValues) = harness.Cache.ExportLayer(2, blocks, prompt.Length);
        int first = 1 + 4;
        Assert.True(placedKeys.narrow(0, first, chunk.Length).abs().sum().item<float>() > 0, "layer 1 was not placed");
        Assert.Equal(0f, lateKeys.abs().sum().item<float>());
        Assert.Equal(0f, lateValues.abs().sum().item<float>());
    }

    /// <summary>Serves a chunk's layers as the bytes of their tensors, as a store does.</summary>
    private sealed class AsBytes(InMemoryChunkKv inner) : IChunkKvSource
    {
        public int TokenCount => inner.TokenCount;

        public int FirstPosition => inner.FirstPosition;

        public async Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken)
        {
            using var loaded = await inner.LoadLayerAsync(layer, cancellationToken);
            return ChunkKvLayer.FromBytes(loaded.Keys.bytes.ToArray(), loaded.Values.bytes.ToArray(), loaded.DType, loaded.KeysShape);
        }
    }

    /// <summary>Serves a chunk from memory, but one layer only once released (whatever the cancellation says).</summary>
    private sealed class LateLayer(InMemoryChunkKv inner, int lateLayer) : IChunkKvSource
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ChunkKvLayer> HandedOut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int TokenCount => inner.TokenCount;

        public int FirstPosition => inner.FirstPosition;

        public async Task<ChunkKvLayer> LoadLayerAsync(int layer, CancellationToken cancellationToken)
        {
            if (layer == lateLayer)
            {
                await Release.Task;
            }
            var loaded = await inner.LoadLayerAsync(layer, cancellationToken);
            if (layer == lateLayer)
            {
                HandedOut.SetResult(loaded);
            }
            return loaded;
        }
    }
}
