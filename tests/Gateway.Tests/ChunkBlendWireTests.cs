using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Format;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using Platform.Engine.Lora;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;

namespace Platform.Gateway.Tests;

/// <summary>What a RAG request's blend carries to Prefill in Split mode: the adapter id its chunk keys were computed under.</summary>
public sealed class ChunkBlendWireTests
{
    private static readonly int[] Prompt = [1, 10, 11, 12, 13, 14, 20];

    private static BlendSpec Blend()
    {
        var options = new ChunkStoreOptions();
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        // No Redis configured: the source is only named on the wire, never read here.
        var store = new RedisChunkStore(new RedisConnection((string?)null, options), Options.Create(options), new ChunkStoreMetrics(meters),
            TimeProvider.System, NullLogger<RedisChunkStore>.Instance);
        int[] chunk = [10, 11, 12, 13, 14];
        var header = new ChunkKvHeader(TorchSharp.torch.ScalarType.Float32, 1, 1, 4, 1, "rope", chunk, [new ChunkLayerEntry(0, 0, 0)]);
        var stored = new StoredChunk(TenantNamespace.Of("alpha"), ChunkKey.Compute(new ModelIdentity("m", "t", "float32"), chunk), header);
        return new BlendSpec([new PromptSegment(0, 1), new PromptSegment(1, 5, new RedisChunkKvSource(store, stored)), new PromptSegment(6, 1)]);
    }

    private static string AdapterDirectory(byte[] weights)
    {
        var dir = Directory.CreateTempSubdirectory("wire-lora-").FullName;
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj"]}""");
        File.WriteAllBytes(Path.Combine(dir, "adapter_model.safetensors"), weights);
        return dir;
    }

    [Fact]
    public void A_blend_under_an_adapter_carries_the_id_of_the_adapters_content_and_a_base_blend_none()
    {
        var blend = Blend();
        var dir = AdapterDirectory([1, 2, 3, 4]);
        var request = new GenerationRequest("r", Prompt, SamplingParams.Greedy(4)) { Adapter = "alpha/tuned", AdapterPath = dir, Blend = blend };
        var wire = TokenEvents.ToSpec(request, "r").Blend;
        Assert.StartsWith(AdapterFingerprint.Prefix, wire.AdapterId, StringComparison.Ordinal);
        Assert.Equal(AdapterFingerprint.Of(dir), wire.AdapterId);
        Assert.Equal("", TokenEvents.ToSpec(request with { Adapter = null, AdapterPath = null }, "r").Blend.AdapterId);

        // The same files elsewhere are the same adapter; other weights (a reload under the same name) are another.
        Assert.Equal(wire.AdapterId, AdapterFingerprint.Of(AdapterDirectory([1, 2, 3, 4])));
        File.WriteAllBytes(Path.Combine(dir, "adapter_model.safetensors"), [1, 2, 3, 4, 5]);
        Assert.NotEqual(wire.AdapterId, TokenEvents.ToSpec(request, "r").Blend.AdapterId);
        File.Delete(Path.Combine(dir, "adapter_model.safetensors"));
        Assert.Contains("not found", Assert.Throws<LoraAdapterException>(() => AdapterFingerprint.Of(dir)).Message, StringComparison.Ordinal);
    }
}
