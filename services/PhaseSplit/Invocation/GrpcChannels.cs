using Grpc.Net.Client;
using Platform.PhaseSplit.Kv;

namespace Platform.PhaseSplit.Invocation;

/// <summary>Channel settings every service-to-service call shares.</summary>
public static class GrpcChannels
{
    /// <summary>
    /// KV-sized messages both ways, and HTTP/2 keep-alive pings so that a peer that died without closing
    /// its socket fails the call within seconds instead of leaving it hanging.
    /// </summary>
    public static GrpcChannelOptions Options() => new()
    {
        MaxReceiveMessageSize = KvWire.MaxGrpcMessageBytes,
        MaxSendMessageSize = KvWire.MaxGrpcMessageBytes,
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        },
    };
}
