using Confluent.Kafka;
using Google.Protobuf;
using Platform.Contracts.Bus.V1;

namespace Platform.RequestBus.Kafka;

/// <summary>
/// A member of the prefill workers' consumer group. Offsets are stored (and auto-committed) only when the
/// work on a message is acknowledged, requeued or dead-lettered, and never past an older message still in
/// progress (<see cref="PartitionOffsets"/>). A worker that dies or goes silent past the session timeout loses
/// its partitions; their uncommitted messages go to the next owner.
/// </summary>
internal sealed class KafkaBusConsumer : BusConsumerBase
{
    private readonly KafkaRequestBus _bus;
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly PartitionOffsets _offsets = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _receiving = Task.CompletedTask;
    private int _disposed;

    public KafkaBusConsumer(KafkaRequestBus bus, string name, BusOptions options, TimeProvider time)
        : base(options, time)
    {
        _bus = bus;
        int session = (int)options.KafkaSessionTimeout.TotalMilliseconds;
        _consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bus.BootstrapServers,
            GroupId = options.ConsumerGroup,
            ClientId = name,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 200,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = session,
            HeartbeatIntervalMs = Math.Max(100, session / 3),
            FetchWaitMaxMs = Math.Max(1, (int)options.KafkaFetchWaitMax.TotalMilliseconds),
            SocketNagleDisable = true,
            AllowAutoCreateTopics = true,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        })
        .SetPartitionsRevokedHandler((_, revoked) => _offsets.Revoke(revoked.Select(p => p.TopicPartition)))
        .SetPartitionsLostHandler((_, lost) => _offsets.Revoke(lost.Select(p => p.TopicPartition)))
        .Build();
        _consumer.Subscribe(options.RequestsName);
    }

    protected override Task<RawDelivery> ReceiveRawAsync(CancellationToken cancellationToken)
    {
        var receive = Task.Factory.StartNew(() =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            while (true)
            {
                linked.Token.ThrowIfCancellationRequested();
                ConsumeResult<string, byte[]>? result;
                try
                {
                    // A short timeout so cancellation is noticed; a message already fetched returns at once.
                    result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    // Workers may start before the first publish creates the topic: keep polling until it exists.
                    linked.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                    continue;
                }
                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }
                _offsets.Received(result.TopicPartitionOffset);
                return new RawDelivery(result.Message.Value ?? [], 1, result.TopicPartitionOffset);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _receiving = receive;
        return receive;
    }

    protected override Task AckRawAsync(object handle)
    {
        Complete((TopicPartitionOffset)handle);
        return Task.CompletedTask;
    }

    protected override async Task RequeueAsync(object handle, string key, byte[] next)
    {
        await _bus.ProduceAsync(Options.RequestsName, key, next).ConfigureAwait(false);
        Complete((TopicPartitionOffset)handle);
    }

    protected override async Task DeadLetterRawAsync(object handle, DeadLetter letter)
    {
        await _bus.ProduceAsync(Options.DeadLetterName, letter.RequestId, letter.ToByteArray()).ConfigureAwait(false);
        Complete((TopicPartitionOffset)handle);
    }

    private void Complete(TopicPartitionOffset message)
    {
        if (_offsets.Complete(message) is not { } store)
        {
            return;
        }
        try
        {
            _consumer.StoreOffset(store);
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_State or ErrorCode.Local_UnknownPartition)
        {
            // The partition moved to another member meanwhile: it redelivers from its committed offset.
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await _receiving.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or KafkaException)
        {
            // Expected: the receive loop stopped (or had already failed, and its caller saw why).
        }
        try
        {
            // Commits what was stored and leaves the group at once, so the others take over without a session timeout.
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // The brokers are gone; the group notices by the session timeout.
        }
        _consumer.Dispose();
        _closing.Dispose();
    }
}
