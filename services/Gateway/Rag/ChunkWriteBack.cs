using Grpc.Core;
using Platform.ChunkStore.Computing;
using Platform.ChunkStore.Keys;
using Platform.Contracts.KvStore.V1;
using Platform.Gateway.Backend;
using Platform.PhaseSplit.Invocation;

namespace Platform.Gateway.Rag;

/// <summary>
/// Stores chunks that missed in a RAG request, after the request has started, so the next request reuses them.
/// All-in-one mode computes them with the Gateway's own engine; Split mode asks the KvStore service
/// (<c>ConnectionStrings:kvstore</c>, over gRPC) and does nothing when none is configured. One write-back runs
/// at a time and at most <see cref="MaxPending"/> wait; more are dropped (the next miss schedules them again).
/// Chunks that missed under a LoRA adapter are computed under it and stored under its chunk keys: all-in-one
/// with the engine's resident adapter, Split mode by naming the adapter (as served) and its directory to the KvStore.
/// </summary>
internal sealed partial class ChunkWriteBack(
    IServiceProvider services,
    IConfiguration configuration,
    GatewayModelIdentity identity,
    ILogger<ChunkWriteBack> logger) : IDisposable
{
    public const int MaxPending = 16;

    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private int _pending;

    /// <summary>Write-backs scheduled and not finished.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void Schedule(TenantNamespace tenant, IReadOnlyList<int[]> chunks, WriteBackAdapter? adapter = null)
    {
        if (Interlocked.Increment(ref _pending) > MaxPending)
        {
            Interlocked.Decrement(ref _pending);
            LogDropped(logger, chunks.Count);
            return;
        }
        _ = Task.Run(async () =>
        {
            await _one.WaitAsync(_stopping.Token).ConfigureAwait(false);
            try
            {
                await WriteAsync(tenant, chunks, adapter, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e, chunks.Count, tenant.Tenant);
            }
            finally
            {
                _one.Release();
                Interlocked.Decrement(ref _pending);
            }
        });
    }

    private async Task WriteAsync(TenantNamespace tenant, IReadOnlyList<int[]> chunks, WriteBackAdapter? adapter, CancellationToken cancellationToken)
    {
        if (services.GetService<LocalEngineBackend>()?.Engine is { } engine)
        {
            var ingestor = services.GetRequiredService<ChunkIngestor>();
            foreach (var chunk in chunks)
            {
                await ingestor.StoreAsync(engine, identity.Value, tenant, chunk, adapter?.Chunk, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        if (configuration.GetConnectionString("kvstore") is not { Length: > 0 } address || services.GetService<IGrpcChannelFactory>() is not { } channels)
        {
            return;
        }
        var request = new IngestRequest
        {
            Tenant = tenant.Tenant,
            Adapter = adapter?.ServedName ?? "",
            AdapterPath = adapter?.Chunk.Path ?? "",
        };
        foreach (var chunk in chunks)
        {
            var tokenChunk = new TokenChunk();
            tokenChunk.TokenIds.AddRange(chunk);
            request.Chunks.Add(tokenChunk);
        }
        var client = new KvStoreService.KvStoreServiceClient(channels.CreateInvoker(new ServiceTarget("kvstore", address)));
        using var call = client.Ingest(request, cancellationToken: cancellationToken);
        await foreach (var _ in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Write-back of {Chunks} chunks dropped: too many pending")]
    private static partial void LogDropped(ILogger logger, int chunks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-back of {Chunks} chunks for tenant {Tenant} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, int chunks, string tenant);
}
