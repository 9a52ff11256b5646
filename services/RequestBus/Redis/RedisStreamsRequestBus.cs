using Platform.Contracts.Bus.V1;
using StackExchange.Redis;

namespace Platform.RequestBus.Redis;

/// <summary>
/// The bus on Redis Streams: <c>{Prefix}.requests</c> read by the consumer group <c>{ConsumerGroup}</c>
/// (XREADGROUP, XACK; entries a dead worker holds are claimed by another after <see cref="BusOptions.RedeliverAfter"/>
/// with XAUTOCLAIM), <c>{Prefix}.dead-letter</c> and <c>{Prefix}.usage</c>. Each publish also sends a wake-up on a
/// pub/sub channel so idle consumers read at once instead of waiting for their next poll. Uses the process's one
/// multiplexer.
/// </summary>
public sealed class RedisStreamsRequestBus : IRequestBus
{
    internal const string PayloadField = "p";
    private readonly IConnectionMultiplexer _redis;
    private readonly BusOptions _options;
    private readonly TimeProvider _time;
    private readonly Lazy<Task> _group;

    public RedisStreamsRequestBus(IConnectionMultiplexer redis, BusOptions options, TimeProvider time)
    {
        _redis = redis;
        _options = options;
        _time = time;
        _group = new Lazy<Task>(CreateGroupAsync);
        Requests = new RedisKey(options.RequestsName);
        DeadLetters = new RedisKey(options.DeadLetterName);
        Usage = new RedisKey(options.UsageName);
        Wake = RedisChannel.Literal($"{options.RequestsName}.wake");
    }

    public BusKind Kind => BusKind.RedisStreams;

    internal RedisKey Requests { get; }

    internal RedisKey DeadLetters { get; }

    internal RedisKey Usage { get; }

    internal RedisChannel Wake { get; }

    internal IDatabase Database => _redis.GetDatabase();

    internal ISubscriber Subscriber => _redis.GetSubscriber();

    public Task PublishAsync(BusRequest request, CancellationToken cancellationToken = default) =>
        PublishEncodedAsync(request.Key, BusCodec.Encode(request), cancellationToken);

    public async Task PublishEncodedAsync(string key, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        // The group exists before the first entry, so lag counts from the start and nothing published early is skipped.
        await EnsureGroupAsync().ConfigureAwait(false);
        await AddAsync(Database, Requests, payload).ConfigureAwait(false);
        await Subscriber.PublishAsync(Wake, RedisValue.EmptyString, CommandFlags.FireAndForget).ConfigureAwait(false);
    }

    public Task PublishUsageAsync(UsageEvent usage, CancellationToken cancellationToken = default) =>
        AddAsync(Database, Usage, Google.Protobuf.MessageExtensions.ToByteArray(usage));

    public IBusConsumer CreateConsumer(string consumerName) => new RedisStreamsConsumer(this, consumerName, _options, _time);

    public async Task<long> GetLagAsync(CancellationToken cancellationToken = default)
    {
        await EnsureGroupAsync().ConfigureAwait(false);
        var db = Database;
        var group = (await db.StreamGroupInfoAsync(Requests).ConfigureAwait(false))
            .FirstOrDefault(g => g.Name == _options.ConsumerGroup);
        if (group.Name is null)
        {
            return await db.StreamLengthAsync(Requests).ConfigureAwait(false);
        }
        // Redis 7 reports the undelivered count; it is null when trimming or deletions make it unknowable, then count them.
        long undelivered = group.Lag ?? (await db.StreamRangeAsync(Requests, $"({group.LastDeliveredId}", "+", count: 100_000).ConfigureAwait(false)).Length;
        return undelivered + group.PendingMessageCount;
    }

    public async Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(CancellationToken cancellationToken = default) =>
        [.. (await Database.StreamRangeAsync(DeadLetters).ConfigureAwait(false)).Select(e => DeadLetter.Parser.ParseFrom((byte[])e[PayloadField]!))];

    public async Task<IReadOnlyList<UsageEvent>> ReadUsageEventsAsync(CancellationToken cancellationToken = default) =>
        [.. (await Database.StreamRangeAsync(Usage).ConfigureAwait(false)).Select(e => UsageEvent.Parser.ParseFrom((byte[])e[PayloadField]!))];

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal Task EnsureGroupAsync() => _group.Value;

    internal Task<RedisValue> AddAsync(IDatabaseAsync db, RedisKey stream, ReadOnlyMemory<byte> payload) =>
        db.StreamAddAsync(stream, [new NameValueEntry(PayloadField, payload)], maxLength: _options.MaxStreamLength, useApproximateMaxLength: true);

    private async Task CreateGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Requests, _options.ConsumerGroup, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another process created it first.
        }
    }
}
