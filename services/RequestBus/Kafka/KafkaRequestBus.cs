using Confluent.Kafka;
using Google.Protobuf;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// The bus on Kafka: <c>{Prefix}.requests</c> keyed by <see cref="BusRequest.Key"/> (one conversation, one
/// partition, its order kept), <c>{Prefix}.dead-letter</c> and <c>{Prefix}.usage</c>. One idempotent producer
/// (acks=all) per process, shared by publishes, requeues and dead letters; each prefill worker is a member of
/// the consumer group <c>{ConsumerGroup}</c> and stores offsets only after its work is acknowledged.
/// Topics are created by the brokers on first use (<c>auto.create.topics.enable</c>).
/// </summary>
public sealed class KafkaRequestBus : IRequestBus
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private readonly string _bootstrapServers;
    private readonly BusOptions _options;
    private readonly TimeProvider _time;
    private readonly IProducer<string, byte[]> _producer;
    private readonly Lazy<IAdminClient> _admin;
    private readonly Lazy<IConsumer<string, byte[]>> _offsetReader;
    private readonly Lock _offsetReaderLock = new();

    public KafkaRequestBus(string bootstrapServers, BusOptions options, TimeProvider time)
    {
        KafkaNativeLibrary.EnsureLoaded();
        _bootstrapServers = bootstrapServers;
        _options = options;
        _time = time;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            // Requests are latency-bound and few: send each at once rather than wait to fill a batch.
            LingerMs = 0,
            SocketNagleDisable = true,
            MessageTimeoutMs = 30_000,
            ClientId = $"platform-{Environment.MachineName}-{Environment.ProcessId}",
        }).Build();
        _admin = new Lazy<IAdminClient>(() => new DependentAdminClientBuilder(_producer.Handle).Build());
        // Never subscribes, so it does not join the group: it only reads the group's committed offsets.
        _offsetReader = new Lazy<IConsumer<string, byte[]>>(() => new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = options.ConsumerGroup,
            EnableAutoCommit = false,
        }).Build());
    }

    public BusKind Kind => BusKind.Kafka;

    internal string BootstrapServers => _bootstrapServers;

    public Task PublishAsync(BusRequest request, CancellationToken cancellationToken = default) =>
        PublishEncodedAsync(request.Key, BusCodec.Encode(request), cancellationToken);

    public Task PublishEncodedAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        ProduceAsync(_options.RequestsName, key, payload.ToArray(), cancellationToken);

    public Task PublishUsageAsync(UsageEvent usage, CancellationToken cancellationToken = default) =>
        ProduceAsync(_options.UsageName, usage.RequestId, usage.ToByteArray(), cancellationToken);

    public IBusConsumer CreateConsumer(string consumerName) => new KafkaBusConsumer(this, consumerName, _options, _time);

    /// <summary>Sum over the request topic's partitions of the high watermark minus the group's committed offset.</summary>
    public Task<long> GetLagAsync(CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        var partitions = Partitions(_options.RequestsName);
        if (partitions.Count == 0)
        {
            return 0L;
        }
        lock (_offsetReaderLock)
        {
            var reader = _offsetReader.Value;
            var committed = reader.Committed(partitions, MetadataTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset);
            long lag = 0;
            foreach (var partition in partitions)
            {
                var marks = reader.QueryWatermarkOffsets(partition, MetadataTimeout);
                long from = committed.TryGetValue(partition, out var offset) && offset != Offset.Unset ? offset.Value : marks.Low.Value;
                lag += Math.Max(0, marks.High.Value - from);
            }
            return lag;
        }
    }, cancellationToken);

    public Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) =>
        ReadTopicAsync(_options.DeadLetterName, DeadLetter.Parser, cancellationToken);

    public Task<IReadOnlyList<UsageEvent>> ReadUsageEventsAsync(CancellationToken cancellationToken = default) =>
        ReadTopicAsync(_options.UsageName, UsageEvent.Parser, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        if (_offsetReader.IsValueCreated)
        {
            _offsetReader.Value.Dispose();
        }
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
        _producer.Dispose();
        return ValueTask.CompletedTask;
    }

    internal async Task ProduceAsync(string topic, string key, byte[] payload, CancellationToken cancellationToken = default)
    {
        try
        {
            await _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = payload }, cancellationToken).ConfigureAwait(false);
        }
        catch (ProduceException<string, byte[]> e)
        {
            throw new BusUnavailableException($"Kafka did not accept the message on '{topic}' ({e.Error.Code}): {e.Error.Reason}", e);
        }
    }

    private List<TopicPartition> Partitions(string topic)
    {
        var metadata = _admin.Value.GetMetadata(topic, MetadataTimeout);
        return metadata.Topics is [{ Error.IsError: false } t, ..]
            ? [.. t.Partitions.Select(p => new TopicPartition(topic, p.PartitionId))]
            : [];
    }

    /// <summary>Everything on a topic from the beginning, read with a throwaway group until every partition reports its end.</summary>
    private Task<IReadOnlyList<T>> ReadTopicAsync<T>(string topic, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T> => Task.Run<IReadOnlyList<T>>(() =>
    {
        var partitions = Partitions(topic);
        if (partitions.Count == 0)
        {
            return [];
        }
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var open = new HashSet<TopicPartition>(partitions);
        var items = new List<T>();
        var until = _time.GetUtcNow() + MetadataTimeout;
        while (open.Count > 0 && _time.GetUtcNow() < until)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                open.Remove(result.TopicPartition);
                continue;
            }
            items.Add(parser.ParseFrom(result.Message.Value));
        }
        consumer.Close();
        return items;
    }, cancellationToken);
}
