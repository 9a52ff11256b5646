using Platform.Engine.Sampling;
using Platform.Engine.Scheduling;
using static TorchSharp.torch;

namespace Platform.Engine.Serving;

public sealed partial class LlmEngine
{
    /// <summary>
    /// Reserves KV blocks for a request whose prompt is computed elsewhere (the decode side of a phase
    /// split). Null, holding nothing, when the cache or the running batch has no room: the caller answers
    /// RESOURCE_EXHAUSTED at once so the router can pick another instance.
    /// </summary>
    public KvImport? TryBeginImport(GenerationRequest request)
    {
        var active = Admit(request, request.PromptTokenIds);
        lock (_stepLock)
        {
            if (!_scheduler.TryReserveForImport(active.Sequence, active.Sequence.PromptLength))
            {
                _requests.TryRemove(request.RequestId, out _);
                ReleaseAdapter(active);
                return null;
            }
            _bySequence[active.Sequence.Id] = active;
            return new KvImport(this, active, Model.Config.NumHiddenLayers);
        }
    }

    /// <summary>Imports a whole prompt's KV at once and starts decoding; null when there is no room.</summary>
    public RequestStream? TryImportRequest(GenerationRequest request, SampledToken firstToken, KvSnapshot kv)
    {
        if (kv.Layers.Count != Model.Config.NumHiddenLayers)
        {
            throw new ArgumentException($"imported KV has {kv.Layers.Count} layers; the model has {Model.Config.NumHiddenLayers}");
        }
        using var import = TryBeginImport(request);
        if (import is null)
        {
            return null;
        }
        for (int layer = 0; layer < kv.Layers.Count; layer++)
        {
            import.WriteLayer(layer, kv.Layers[layer].Keys, kv.Layers[layer].Values);
        }
        return import.Commit(firstToken);
    }

    internal void WriteImportedLayer(KvImport import, int layer, Tensor keys, Tensor values)
    {
        // Not under the step lock, so an import never queues behind decode steps: the blocks are reserved
        // for this import and never scheduled, and the gate keeps them from being freed mid-write.
        lock (import.Active.ImportGate)
        {
            if (import.Active.Finished)
            {
                throw new InvalidOperationException($"request {import.RequestId} ended (cancelled) while its KV was being imported");
            }
            Cache.ImportLayer(layer, import.Active.Sequence.BlockTable, keys, values);
        }
    }

    /// <summary>
    /// Hands the committed import to the engine thread, which starts it at its next step: the caller (a request
    /// thread) never waits for a running step, and the first token comes out when that step would have started it.
    /// </summary>
    internal RequestStream CommitImport(KvImport import, SampledToken firstToken)
    {
        var active = import.Active;
        _commits.Enqueue((active, firstToken));
        _workSignal.Release();
        return new RequestStream(active.Request.RequestId, active.Reader);
    }

    /// <summary>On the engine thread, under the step lock: committed imports join the running batch.</summary>
    private void DrainCommits()
    {
        // The import gate is not needed here: a committed import writes no more layers, and a cancel that races
        // with this is serialized by the step lock (it completes the request first, or finds it running).
        while (_commits.TryDequeue(out var commit))
        {
            var (active, firstToken) = commit;
            if (active.Finished)
            {
                continue;
            }
            active.Sequence.AppendToken(firstToken.TokenId);
            _scheduler.CompleteImport(active.Sequence);
            _promptTokens += active.Sequence.PromptLength;
            // The first token was drawn on the other side: keep a seeded request's random stream in step.
            if (!active.Request.Sampling.IsGreedy)
            {
                active.Sampling.Random.NextDouble();
            }
            Stream(active, firstToken);
        }
    }

    internal void AbortImport(KvImport import, string reason)
    {
        lock (import.Active.ImportGate)
        lock (_stepLock)
        {
            Complete(import.Active, FinishReason.Error, reason, "");
        }
    }

    /// <summary>Copies the KV of a sequence's computed positions to the CPU.</summary>
    private KvSnapshot Export(Sequence sequence)
    {
        int n = sequence.NumComputedTokens;
        var layers = new (Tensor, Tensor)[Cache.NumLayers];
        for (int layer = 0; layer < layers.Length; layer++)
        {
            layers[layer] = Cache.CopyLayerToHost(layer, sequence.BlockTable, n);
        }
        return new KvSnapshot(n, layers);
    }
}
