using Platform.Engine.Sampling;
using Platform.Engine.Scheduling;
using static TorchSharp.torch;

namespace Platform.Engine.Serving;

public sealed partial class LlmEngine
{
    /// <summary>
    /// Continues a request whose prompt KV was computed elsewhere (the decode side of a phase split):
    /// <paramref name="kv"/> holds the prompt's KV and <paramref name="firstToken"/> the token sampled from
    /// it; the stream starts with that token. Returns null, holding nothing, when the KV cache has no room.
    /// </summary>
    public RequestStream? TryImportRequest(GenerationRequest request, SampledToken firstToken, KvSnapshot kv)
    {
        var prompt = request.PromptTokenIds;
        if (kv.NumTokens != prompt.Count || kv.Layers.Count != Model.Config.NumHiddenLayers)
        {
            throw new ArgumentException(
                $"imported KV covers {kv.NumTokens} tokens in {kv.Layers.Count} layers; the request has {prompt.Count} prompt tokens and the model {Model.Config.NumHiddenLayers} layers");
        }
        var active = Admit(request, prompt);
        lock (_stepLock)
        {
            var sequence = active.Sequence;
            sequence.AppendToken(firstToken.TokenId);
            if (!_scheduler.TryAddPrecomputed(sequence, kv.NumTokens))
            {
                _requests.TryRemove(request.RequestId, out _);
                return null;
            }
            for (int layer = 0; layer < kv.Layers.Count; layer++)
            {
                Cache.ImportLayer(layer, sequence.BlockTable, kv.Layers[layer].Keys, kv.Layers[layer].Values);
            }
            _bySequence[sequence.Id] = active;
            _promptTokens += sequence.PromptLength;
            // The first token was drawn on the other side: keep a seeded request's random stream in step.
            if (!request.Sampling.IsGreedy)
            {
                active.Sampling.Random.NextDouble();
            }
            Stream(active, firstToken);
        }
        _workSignal.Release();
        return new RequestStream(request.RequestId, active.Reader);
    }

    /// <summary>Copies the KV of a sequence's computed positions to the CPU.</summary>
    private KvSnapshot Export(Sequence sequence)
    {
        int n = sequence.NumComputedTokens;
        var layers = new (Tensor, Tensor)[Cache.NumLayers];
        using var scope = NewDisposeScope();
        for (int layer = 0; layer < layers.Length; layer++)
        {
            var (k, v) = Cache.ExportLayer(layer, sequence.BlockTable, n);
            layers[layer] = (k.cpu().DetachFromDisposeScope(), v.cpu().DetachFromDisposeScope());
        }
        return new KvSnapshot(n, layers);
    }
}
