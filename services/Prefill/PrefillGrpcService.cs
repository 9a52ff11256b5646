using Grpc.Core;
using Platform.Contracts.Inference.V1;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Mapping;

namespace Platform.Prefill;

/// <summary>The prompt phase over gRPC.</summary>
public sealed class PrefillGrpcService(EngineHost host, KvSender sender, TimeProvider time) : PrefillService.PrefillServiceBase
{
    public override Task<PrefillReply> Prefill(PrefillRequest request, ServerCallContext context) => sender.PrefillAsync(request, context);

    public override Task GenerateColocated(GenerationSpec request, IServerStreamWriter<TokenEvent> responseStream, ServerCallContext context) =>
        TokenStreaming.GenerateColocatedAsync(host.Engine, request, responseStream, context, time);

    public override Task<LoadReport> GetLoad(GetLoadRequest request, ServerCallContext context)
    {
        var engine = host.Engine;
        return Task.FromResult(LoadReports.Create("prefill", engine.Stats(), engine.Options.BlockSize, incomingPromptTokens: 0, sender.InFlight, time));
    }
}
