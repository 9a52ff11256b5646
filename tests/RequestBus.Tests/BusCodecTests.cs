using Platform.Contracts.Bus.V1;
using Platform.Contracts.Inference.V1;

namespace Platform.RequestBus.Tests;

public sealed class BusCodecTests
{
    private static BusRequest Request() => new()
    {
        RequestId = "r",
        Key = "k",
        Spec = new GenerationSpec { SchemaVersion = 1, RequestId = "r", Sampling = new SamplingParams { MaxTokens = 1 } },
    };

    [Fact]
    public void A_request_round_trips_with_the_current_schema_version()
    {
        var bytes = BusCodec.Encode(Request());
        var decoded = BusCodec.TryDecode(bytes, out var reason);
        Assert.NotNull(decoded);
        Assert.Equal(BusCodec.SchemaVersion, decoded.SchemaVersion);
        Assert.Equal("", reason);
    }

    [Fact]
    public void A_newer_schema_a_missing_spec_and_garbage_are_refused_with_the_reason()
    {
        var newer = Request();
        newer.SchemaVersion = BusCodec.SchemaVersion + 1;
        Assert.Null(BusCodec.TryDecode(Google.Protobuf.MessageExtensions.ToByteArray(newer), out var reason));
        Assert.Contains("schema_version", reason, StringComparison.Ordinal);

        var noSpec = Request();
        noSpec.Spec = null;
        noSpec.SchemaVersion = BusCodec.SchemaVersion;
        Assert.Null(BusCodec.TryDecode(Google.Protobuf.MessageExtensions.ToByteArray(noSpec), out reason));
        Assert.Contains("generation spec", reason, StringComparison.Ordinal);

        Assert.Null(BusCodec.TryDecode(new byte[] { 0xff, 0xff, 0xff }, out reason));
        Assert.Contains("not a platform.bus.v1.BusRequest", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_next_attempt_counts_up_and_keeps_everything_else()
    {
        var first = Request();
        var next = BusRequest.Parser.ParseFrom(BusCodec.NextAttempt(first));
        Assert.Equal(1, next.Attempt);
        next.Attempt = 0;
        Assert.Equal(first, next);
    }
}
