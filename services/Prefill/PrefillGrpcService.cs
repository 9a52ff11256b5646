using Grpc.Core;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Mapping;

namespace Platform.Prefill;

/// <summary>
/// The prompt phase over gRPC, and both phases here when the router colocates a request on this instance
/// (the decode pool full); a RAG spec's chunks are blended from the chunk store either way.
/// </summary>
public sealed class PrefillGrpcService(EngineHost host, KvSender sender, ChunkBlendResolver blends, TimeProvider time) : PrefillService.PrefillServiceBase
{
    public override Task<PrefillReply> Prefill(PrefillRequest request, ServerCallContext context) => sender.PrefillAsync(request, context);

    public override async Task GenerateColocated(GenerationSpec request, IServerStreamWriter<TokenEvent> responseStream, ServerCallContext context)
    {
        var blend = await blends.ResolveAsync(request, context.CancellationToken).ConfigureAwait(false);
        await TokenStreaming.GenerateColocatedAsync(host.Engine, request, responseStream, context, time, blend).ConfigureAwait(false);
    }

    public override Task<LoadReport> GetLoad(GetLoadRequest request, ServerCallContext context)
    {
        var engine = host.Engine;
        return Task.FromResult(LoadReports.Create("prefill", engine.Stats(), engine.Options.BlockSize, incomingPromptTokens: 0, sender.InFlight, time));
    }
}
