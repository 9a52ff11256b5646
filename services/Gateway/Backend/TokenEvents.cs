using Platform.Engine.Serving;
using Platform.PhaseSplit.Mapping;
using Wire = Platform.Contracts.Inference.V1;

namespace Platform.Gateway.Backend;

/// <summary>Decode's token stream as the engine events the endpoints consume, and the spec a request travels as.</summary>
internal static class TokenEvents
{
    public static Wire.GenerationSpec ToSpec(GenerationRequest request, string requestId)
    {
        var spec = new Wire.GenerationSpec
        {
            SchemaVersion = ContractMapping.SpecSchemaVersion,
            RequestId = requestId,
            Sampling = request.Sampling.ToWire(),
            CacheSalt = request.CacheSalt,
            Lora = request.Adapter is { } adapter ? new Wire.LoraAdapterRef { Name = adapter, Path = request.AdapterPath ?? "" } : null,
        };
        spec.PromptTokenIds.AddRange(request.PromptTokenIds);
        spec.Blend = Rag.ChunkBlendWire.ToWire(request.Blend, request.AdapterPath);
        return spec;
    }

    /// <param name="e">The wire event.</param>
    /// <param name="requestId">The engine request id the endpoint knows (the wire id may carry a retry suffix).</param>
    /// <param name="cachedPromptTokens">Prefix-cache hits on the prefill side, where the prompt was computed.</param>
    public static GenerationEvent ToEngine(Wire.TokenEvent e, string requestId, int cachedPromptTokens)
    {
        var finish = e.FinishReason switch
        {
            Wire.FinishReason.Stop => FinishReason.Stop,
            Wire.FinishReason.Length => FinishReason.Length,
            Wire.FinishReason.Cancelled => FinishReason.Cancelled,
            Wire.FinishReason.Error => FinishReason.Error,
            _ => (FinishReason?)null,
        };
        return new GenerationEvent(requestId, e.Token?.ToEngine(), e.TextDelta)
        {
            Finish = finish,
            Usage = e.Usage is { } u ? new Usage(u.PromptTokens, u.CompletionTokens, Math.Max(u.CachedPromptTokens, cachedPromptTokens)) : null,
            Error = e.Error.Length > 0 ? e.Error : null,
            StopReason = e.StopReason.Length > 0 ? e.StopReason : null,
        };
    }

    public static GenerationEvent Failed(string requestId, string error) =>
        new(requestId, null, "") { Finish = FinishReason.Error, Error = error };

    public static GenerationEvent Cancelled(string requestId) =>
        new(requestId, null, "") { Finish = FinishReason.Cancelled };
}
