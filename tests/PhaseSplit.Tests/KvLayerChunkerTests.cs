using Grpc.Core;
using Platform.PhaseSplit.Kv;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.PhaseSplit.Tests;

public sealed class KvLayerChunkerTests
{
    private static readonly KvGeometry Geometry = new(2, 4, 8, ScalarType.Float32);

    private static (Tensor Keys, Tensor Values) Layer(int tokens, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (randn([tokens, 4, 8], generator: generator), randn([tokens, 4, 8], generator: generator));
    }

    [Fact]
    public void A_layer_over_the_message_limit_splits_by_token_range_and_reassembles_bit_exact()
    {
        var (keys, values) = Layer(100, 1);
        using (keys)
        using (values)
        {
            // 128 bytes per token for each of K and V; 8 KiB messages leave 4 KiB of payload: 16 tokens per chunk.
            var chunks = KvLayerChunker.Split(1, keys, values, 8192);
            Assert.Equal([0, 16, 32, 48, 64, 80, 96], chunks.Select(c => c.TokenStart));
            Assert.All(chunks, c => Assert.True(c.CalculateSize() <= 8192));
            var assembler = new KvLayerAssembler(Geometry, 100);
            (Tensor Keys, Tensor Values)? layer = null;
            foreach (var chunk in chunks)
            {
                Assert.Null(layer);
                layer = assembler.Add(chunk);
            }
            using var k = layer!.Value.Keys;
            using var v = layer.Value.Values;
            Assert.True(k.equal(keys).all().item<bool>() && v.equal(values).all().item<bool>());
            Assert.Equal(1, assembler.LayersCompleted);
            Assert.Equal(2 * 100 * 128, assembler.BytesReceived);
        }
    }

    [Theory]
    [InlineData(16_000, 1)]
    [InlineData(17_000, 2)]
    public void Under_the_default_limit_no_message_exceeds_four_mebibytes(int tokens, int expectedChunks)
    {
        var (keys, values) = Layer(tokens, 2);
        using (keys)
        using (values)
        {
            var chunks = KvLayerChunker.Split(0, keys, values);
            Assert.Equal(expectedChunks, chunks.Count);
            Assert.All(chunks, c => Assert.True(new Contracts.Inference.V1.KvTransferMessage { Chunk = c }.CalculateSize() <= KvWire.MaxMessageBytes));
        }
    }

    [Fact]
    public void A_flipped_bit_is_data_loss_and_a_gap_in_the_token_ranges_is_invalid()
    {
        var (keys, values) = Layer(40, 3);
        using (keys)
        using (values)
        {
            var chunks = KvLayerChunker.Split(0, keys, values, 8192);
            var bad = chunks[1].Clone();
            bad.Crc32 ^= 0x10;
            var assembler = new KvLayerAssembler(Geometry, 40);
            Assert.Null(assembler.Add(chunks[0]));
            Assert.Equal(StatusCode.DataLoss, Assert.Throws<RpcException>(() => assembler.Add(bad)).StatusCode);
            Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => new KvLayerAssembler(Geometry, 40).Add(chunks[1])).StatusCode);
            var wrongLayer = chunks[0].Clone();
            wrongLayer.Layer = 2;
            Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => new KvLayerAssembler(Geometry, 40).Add(wrongLayer)).StatusCode);
        }
    }
}
