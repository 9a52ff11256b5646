using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus;

/// <summary>The bus's message bytes: protobuf of <c>platform.bus.v1</c>, refused when the schema is newer than this reader.</summary>
public static class BusCodec
{
    public const int SchemaVersion = 1;

    public static byte[] Encode(BusRequest request)
    {
        if (request.SchemaVersion == 0)
        {
            request.SchemaVersion = SchemaVersion;
        }
        return request.ToByteArray();
    }

    /// <summary>The request, or null with the reason it cannot be processed (it goes to the dead-letter topic).</summary>
    public static BusRequest? TryDecode(ReadOnlySpan<byte> payload, out string reason)
    {
        BusRequest request;
        try
        {
            request = BusRequest.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            reason = $"the message is not a platform.bus.v1.BusRequest: {e.Message}";
            return null;
        }
        if (request.SchemaVersion is < 1 or > SchemaVersion)
        {
            reason = $"schema_version {request.SchemaVersion} is not one this worker reads (1..{SchemaVersion})";
            return null;
        }
        if (string.IsNullOrEmpty(request.RequestId) || request.Spec is null)
        {
            reason = "the message has no request_id or no generation spec";
            return null;
        }
        reason = "";
        return request;
    }

    /// <summary>The request to publish again after a failed delivery.</summary>
    public static byte[] NextAttempt(BusRequest request)
    {
        var next = request.Clone();
        next.Attempt++;
        return next.ToByteArray();
    }

    public static DeadLetter DeadLetter(ReadOnlyMemory<byte> payload, string? requestId, string reason, int deliveries, TimeProvider time) => new()
    {
        SchemaVersion = SchemaVersion,
        RequestId = requestId ?? "",
        Reason = reason,
        Deliveries = deliveries,
        DeadAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
        Original = ByteString.CopyFrom(payload.Span),
    };

    /// <summary>Best effort: the request id of bytes that did not decode as a whole, for the dead letter.</summary>
    public static string? PeekRequestId(ReadOnlySpan<byte> payload)
    {
        try
        {
            return BusRequest.Parser.ParseFrom(payload).RequestId;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
