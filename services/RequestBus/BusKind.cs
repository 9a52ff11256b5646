namespace Platform.RequestBus;

/// <summary>Which transport carries the request bus (<c>Bus:Kind</c>).</summary>
public enum BusKind
{
    /// <summary>A queue inside this process: the all-in-one default.</summary>
    InProcess,

    /// <summary>Redis Streams with a consumer group (<c>ConnectionStrings:redis</c>).</summary>
    RedisStreams,

    /// <summary>Kafka topics with a consumer group (<c>ConnectionStrings:kafka</c>).</summary>
    Kafka,
}
