using Grpc.Core;
using Platform.Contracts.KvStore.V1;
using Platform.Engine.Blending;
using Platform.KvStore.Ingest;

namespace Platform.KvStore.Api;

/// <summary><c>platform.kvstore.v1.KvStoreService</c>: ingest with streamed progress, chunk lookup.</summary>
public sealed class KvStoreGrpcService(DocumentIngestor ingestor, ChunkDirectory directory) : KvStoreService.KvStoreServiceBase
{
    public override async Task Ingest(IngestRequest request, IServerStreamWriter<IngestProgress> responseStream, ServerCallContext context)
    {
        IngestPlan plan;
        try
        {
            plan = ingestor.Plan(request);
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        await foreach (var progress in ingestor.RunAsync(plan, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(progress, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task<LookupChunksReply> LookupChunks(LookupChunksRequest request, ServerCallContext context)
    {
        try
        {
            return await directory.LookupAsync(request, context.CancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (ChunkKvUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
    }
}
