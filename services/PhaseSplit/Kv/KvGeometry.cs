using Platform.Contracts.Inference.V1;
using Platform.Engine.KvCache;
using Grpc.Core;
using TorchSharp;

namespace Platform.PhaseSplit.Kv;

/// <summary>What a KV cache holds per token: layers, KV heads, head size and element type.</summary>
public sealed record KvGeometry(int NumLayers, int NumKvHeads, int HeadDim, torch.ScalarType DType)
{
    public static KvGeometry Of(PagedKvCache cache) => new(cache.NumLayers, cache.NumKvHeads, cache.HeadDim, cache.DType);

    /// <summary>Bytes of K (or of V) for one token of one layer.</summary>
    public int BytesPerTokenPerLayer => NumKvHeads * HeadDim * KvWire.ElementSize(DType);

    public KvTransferHeader Header(GenerationSpec spec) => new()
    {
        SchemaVersion = KvWire.SchemaVersion,
        Spec = spec,
        NumLayers = NumLayers,
        NumTokens = spec.PromptTokenIds.Count,
        NumKvHeads = NumKvHeads,
        HeadDim = HeadDim,
        Dtype = KvWire.DTypeName(DType),
        Layout = KvWire.Layout,
    };

    /// <summary>Refuses a header whose KV this cache cannot take as it is, naming the mismatch.</summary>
    public void Check(KvTransferHeader header)
    {
        void Require(bool ok, string what)
        {
            if (!ok)
            {
                throw Faults.Invalid(what);
            }
        }
        Require(header.SchemaVersion is > 0 and <= KvWire.SchemaVersion, $"KV transfer schema_version {header.SchemaVersion} is not supported (this side reads 1-{KvWire.SchemaVersion})");
        Require(header.Spec is not null && header.Spec.RequestId.Length > 0, "the KV header carries no generation spec with a request id");
        Require(header.NumLayers == NumLayers, $"the KV has {header.NumLayers} layers; this model has {NumLayers}");
        Require(header.NumKvHeads == NumKvHeads && header.HeadDim == HeadDim,
            $"the KV has {header.NumKvHeads} kv heads of {header.HeadDim}; this model has {NumKvHeads} of {HeadDim}");
        Require(header.Dtype == KvWire.DTypeName(DType), $"the KV dtype is '{header.Dtype}'; this cache holds {KvWire.DTypeName(DType)}");
        Require(header.Layout == KvWire.Layout, $"the KV layout is '{header.Layout}'; expected '{KvWire.Layout}'");
        Require(header.NumTokens == header.Spec!.PromptTokenIds.Count,
            $"the KV covers {header.NumTokens} tokens; the prompt has {header.Spec.PromptTokenIds.Count}");
    }
}
