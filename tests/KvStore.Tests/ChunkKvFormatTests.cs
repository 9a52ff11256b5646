using Platform.ChunkStore.Format;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using static TorchSharp.torch;

namespace Platform.KvStore.Tests;

public sealed class ChunkKvFormatTests
{
    internal static (byte[] Value, byte[][] Payloads) Sample(int layers = 3, int tokens = 5, int heads = 2, int dim = 4, int seed = 1)
    {
        var random = new Random(seed);
        var payloads = new byte[layers][];
        var shape = new ChunkKvHeaderShape(ScalarType.Float32, layers, heads, dim, 1, "rotate_half;theta=10000;scaling=none",
            [.. Enumerable.Range(0, tokens).Select(i => 100 + i)]);
        var value = ChunkKvFormat.Write(shape, (layer, payload) =>
        {
            var floats = new float[payload.Length / 4];
            for (int i = 0; i < floats.Length; i++)
            {
                floats[i] = (float)random.NextDouble();
            }
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).CopyTo(payload);
            payloads[layer] = payload.ToArray();
        });
        return (value, payloads);
    }

    [Fact]
    public void HeaderAndEveryLayerReadBackAsWritten()
    {
        var (value, payloads) = Sample();
        var header = ChunkKvFormat.ReadHeader(value, "test");
        Assert.Equal(ScalarType.Float32, header.DType);
        Assert.Equal((3, 2, 4, 1), (header.NumLayers, header.NumKvHeads, header.HeadDim, header.FirstPosition));
        Assert.Equal([100, 101, 102, 103, 104], header.TokenIds);
        Assert.StartsWith(ChunkKvFormat.RotateHalfRopeMode, header.RopeMode, StringComparison.Ordinal);
        Assert.Equal(value.LongLength, header.TotalBytes);
        for (int l = 0; l < header.NumLayers; l++)
        {
            var entry = header.Layers[l];
            var slice = value.AsSpan((int)entry.Offset, entry.Length);
            ChunkKvFormat.CheckLayer(header, l, slice, "test");
            Assert.Equal(payloads[l], slice.ToArray());
            using var layer = RedisChunkKvSource.ToLayer(header, value.AsMemory((int)entry.Offset, entry.Length));
            Assert.Equal([5L, 2, 4], layer.Keys.shape);
            Assert.Equal(payloads[l].AsSpan(0, header.TensorBytes).ToArray(), layer.Keys.bytes.ToArray());
            Assert.Equal(payloads[l].AsSpan(header.TensorBytes).ToArray(), layer.Values.bytes.ToArray());
        }
    }

    [Fact]
    public void AFlippedByteInALayerFailsItsChecksum()
    {
        var (value, _) = Sample();
        var header = ChunkKvFormat.ReadHeader(value, "test");
        var entry = header.Layers[1];
        value[entry.Offset + 7] ^= 0x40;
        var e = Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.CheckLayer(header, 1, value.AsSpan((int)entry.Offset, entry.Length), "test"));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedLayersAndHeadersAreRefused()
    {
        var (value, _) = Sample();
        var header = ChunkKvFormat.ReadHeader(value, "test");
        var entry = header.Layers[2];
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.CheckLayer(header, 2, value.AsSpan((int)entry.Offset, entry.Length - 3), "test"));
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.ReadHeader(value.AsSpan(0, 20), "test"));
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.ReadHeader(value.AsSpan(0, (int)header.Layers[0].Offset - 1), "test"));
    }

    [Fact]
    public void ACorruptedHeaderOrAnUnknownVersionIsRefused()
    {
        var (value, _) = Sample();
        var corrupt = (byte[])value.Clone();
        corrupt[50] ^= 1;
        Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.ReadHeader(corrupt, "test"));
        var future = (byte[])value.Clone();
        future[4] = 9;
        var e = Assert.Throws<ChunkKvUnavailableException>(() => ChunkKvFormat.ReadHeader(future, "test"));
        Assert.Contains("version", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysChangeWithEveryPartOfTheModelIdentityAndWithTokenOrder()
    {
        var model = new ModelIdentity("m", "t", "float32");
        var key = ChunkKey.Compute(model, [1, 2, 3]);
        Assert.Equal(ChunkKey.IdLength, key.Id.Length);
        Assert.Equal(key, ChunkKey.Compute(model, [1, 2, 3]));
        Assert.NotEqual(key, ChunkKey.Compute(model, [3, 2, 1]));
        Assert.NotEqual(key, ChunkKey.Compute(model with { ModelId = "m2" }, [1, 2, 3]));
        Assert.NotEqual(key, ChunkKey.Compute(model with { TokenizerId = "t2" }, [1, 2, 3]));
        Assert.NotEqual(key, ChunkKey.Compute(model with { DType = "bfloat16" }, [1, 2, 3]));
        Assert.NotEqual(key, ChunkKey.Compute(model.WithAdapter("lora-a"), [1, 2, 3]));
        Assert.Equal(key, ChunkKey.TryParse(key.Id.ToUpperInvariant()));
        Assert.Null(ChunkKey.TryParse("not-a-key"));
    }

    [Fact]
    public void TenantsAreSeparateNamespacesWithCheckedNames()
    {
        var key = new ChunkKey(new string('a', 64));
        Assert.NotEqual(TenantNamespace.Of("alpha").RedisKey(key), TenantNamespace.Of("beta").RedisKey(key));
        Assert.Equal(TenantNamespace.Default, TenantNamespace.Of(""));
        Assert.Throws<ArgumentException>(() => TenantNamespace.Of("a:b"));
        Assert.Throws<ArgumentException>(() => TenantNamespace.Of(new string('x', 65)));
    }
}
