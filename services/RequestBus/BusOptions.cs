namespace Platform.RequestBus;

/// <summary>The <c>Bus</c> section: which transport, the names it uses, and its delivery policy.</summary>
public sealed class BusOptions
{
    public const string SectionName = "Bus";

    public BusKind Kind { get; set; } = BusKind.InProcess;

    /// <summary>Prefix of every stream or topic name: <c>{Prefix}.requests</c>, <c>{Prefix}.dead-letter</c>, <c>{Prefix}.usage</c>.</summary>
    public string Prefix { get; set; } = "platform";

    /// <summary>The consumer group the prefill workers share.</summary>
    public string ConsumerGroup { get; set; } = "prefill";

    /// <summary>Deliveries of one request before it goes to the dead-letter topic with the last failure's reason.</summary>
    public int MaxDeliveries { get; set; } = 3;

    /// <summary>
    /// Redis Streams: how long a delivered, unacknowledged entry stays with its consumer before another
    /// consumer claims it (XAUTOCLAIM); the time a dead worker's request waits. Kafka uses the session timeout.
    /// </summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Redis Streams: the fallback poll when no wake-up notification arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Redis Streams: approximate cap on each stream's length (XADD MAXLEN ~).</summary>
    public int MaxStreamLength { get; set; } = 100_000;

    /// <summary>Kafka: the consumer group's session timeout; a worker silent this long loses its partitions to the others.</summary>
    public TimeSpan KafkaSessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Kafka: longest a fetch waits at the broker for new messages. A real broker answers as soon as a message
    /// arrives, so this only bounds idle polling; librdkafka's mock cluster waits the full time, so there it is
    /// the consumer's polling period and adds to latency (use 1 ms with the mock cluster).
    /// </summary>
    public TimeSpan KafkaFetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(100);

    public string RequestsName => $"{Prefix}.requests";

    public string DeadLetterName => $"{Prefix}.dead-letter";

    public string UsageName => $"{Prefix}.usage";

    /// <summary>Problems with the values, each naming the key to fix; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Prefix) || Prefix.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            yield return $"Bus:Prefix (Bus__Prefix) must be letters, digits, '-', '_' or '.', got '{Prefix}'";
        }
        if (string.IsNullOrWhiteSpace(ConsumerGroup))
        {
            yield return "Bus:ConsumerGroup (Bus__ConsumerGroup) must not be empty";
        }
        if (MaxDeliveries < 1)
        {
            yield return $"Bus:MaxDeliveries (Bus__MaxDeliveries) must be at least 1, got {MaxDeliveries}";
        }
        if (RedeliverAfter <= TimeSpan.Zero)
        {
            yield return "Bus:RedeliverAfter (Bus__RedeliverAfter) must be positive, e.g. 00:00:30";
        }
        if (PollInterval <= TimeSpan.Zero)
        {
            yield return "Bus:PollInterval (Bus__PollInterval) must be positive, e.g. 00:00:00.250";
        }
        if (MaxStreamLength < 1000)
        {
            yield return $"Bus:MaxStreamLength (Bus__MaxStreamLength) must be at least 1000, got {MaxStreamLength}";
        }
        if (KafkaFetchWaitMax < TimeSpan.FromMilliseconds(1) || KafkaFetchWaitMax > TimeSpan.FromSeconds(5))
        {
            yield return "Bus:KafkaFetchWaitMax (Bus__KafkaFetchWaitMax) must be in [1 ms, 5 s], e.g. 00:00:00.005";
        }
        if (KafkaSessionTimeout < TimeSpan.FromSeconds(1))
        {
            yield return "Bus:KafkaSessionTimeout (Bus__KafkaSessionTimeout) must be at least 1 s";
        }
    }
}
