using Microsoft.Extensions.Logging;
using Platform.Engine.Blending;
using Platform.Engine.Execution;
using Platform.Engine.Sampling;
using static TorchSharp.torch;

namespace Platform.Engine.Serving;

/// <summary>
/// CacheBlend in the engine loop. A request with a <see cref="GenerationRequest.Blend"/> skips the scheduler's
/// prefill: at most one per step reserves blocks for its whole prompt (like imported KV, so the scheduler
/// neither computes nor preempts it meanwhile), is blended in its own forward pass before the step's batch
/// runs, samples its first token and joins the running batch as if its prompt had been prefilled. Other
/// requests' chunks never share that pass, so they compute exactly what they would without it. A request under a
/// LoRA adapter blends (and falls back) under its adapter.
/// </summary>
public sealed partial class LlmEngine
{
    private readonly Queue<ActiveRequest> _blendQueue = new();
    private readonly BlendCounters _blendCounters = new();
    private RopeReRotation? _reRotation;
    private string? _ropeUnsupported;
    private bool _ropeChecked;

    /// <summary>Queues a blend request, or decides at once on a full prefill (false) with the reason recorded.</summary>
    private bool TryQueueBlend(ActiveRequest active)
    {
        if (active.BlendPlan is not { } plan)
        {
            return false;
        }
        _blendCounters.Lookups++;
        if (!_ropeChecked)
        {
            _ropeUnsupported = RopeReRotation.UnsupportedReason(Model.Config);
            _reRotation = _ropeUnsupported is null ? new RopeReRotation(Model.Config) : null;
            _ropeUnsupported ??= _reRotation!.CheckAgainst(Model.Rope, Model.Device);
            _ropeChecked = true;
        }
        if (_ropeUnsupported is not null)
        {
            FallBack(active, BlendFallbackReason.UnsupportedRope, _ropeUnsupported, 0);
            return false;
        }
        if (plan.NumCached < plan.Spec.MinCachedTokens || plan.NumCached == 0)
        {
            FallBack(active, BlendFallbackReason.TooFewCachedTokens, $"{plan.NumCached} cached tokens, at least {plan.Spec.MinCachedTokens} needed", 0);
            return false;
        }
        _blendQueue.Enqueue(active);
        return true;
    }

    /// <summary>Blends the first queued request that gets its blocks. True when one ran.</summary>
    private bool RunNextBlend()
    {
        while (_blendQueue.TryPeek(out var active))
        {
            if (active.Finished)
            {
                _blendQueue.Dequeue();
                continue;
            }
            if (active.CancelRequested)
            {
                _blendQueue.Dequeue();
                Complete(active, FinishReason.Cancelled, null, "");
                continue;
            }
            var sequence = active.Sequence;
            if (!_scheduler.TryReserveForImport(sequence, sequence.PromptLength))
            {
                return false;
            }
            _blendQueue.Dequeue();
            Blend(active, active.BlendPlan!);
            return true;
        }
        return false;
    }

    private void Blend(ActiveRequest active, BlendPlan plan)
    {
        var sequence = active.Sequence;
        var sink = active.Request.KvLayerSink;
        using var scope = NewDisposeScope();
        Tensor logits;
        try
        {
            sequence.PrefixCacheableTokens = plan.FirstCachedPosition;
            using var loads = new ChunkKvPrefetcher(
                plan.Sources, Model.Config.NumHiddenLayers, Cache.NumKvHeads, Cache.HeadDim,
                layer => BlendedPrefill.NeedsLayer(plan, layer), plan.Spec.LoadTimeout,
                ChunkKvPlacement.For(plan, Cache, _reRotation!, sequence.BlockTable, Model.Device));
            try
            {
                (logits, int recomputedCached) = new BlendedPrefill(Model, Cache, _reRotation!, active.Adapter).Run(sequence.TokenIds, sequence.BlockTable, plan, loads, sink);
                int reused = plan.NumCached - recomputedCached;
                int recomputed = plan.PromptLength - reused;
                active.BlendReport = new BlendReport(true, null, plan.NumCached, reused, recomputed, loads.BytesLoaded);
                _blendCounters.Record(active.BlendReport);
            }
            catch (Exception e) when (e is ChunkKvUnavailableException or TimeoutException)
            {
                var reason = e is TimeoutException ? BlendFallbackReason.LoadTimeout : BlendFallbackReason.ChunkUnavailable;
                FallBack(active, reason, e.Message, loads.BytesLoaded);
                // No late layer may land in the blocks the full prefill now writes.
                loads.Dispose();
                sequence.PrefixCacheableTokens = int.MaxValue;
                logits = _runner.Execute([new RunnerChunk(sequence.TokenIds, 0, sequence.PromptLength, sequence.BlockTable, true, sink) { Adapter = active.Adapter }])!;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStepFailed(_logger, e);
            Complete(active, FinishReason.Error, $"blended prefill failed: {e.Message}", "");
            return;
        }
        var token = Sampler.Sample(logits, [active.Sampling])[0];
        sequence.AppendToken(token.TokenId);
        _scheduler.CompleteImport(sequence);
        _promptTokens += sequence.PromptLength;
        if (active.CancelRequested)
        {
            Complete(active, FinishReason.Cancelled, null, "");
            return;
        }
        Stream(active, token);
    }

    private void FallBack(ActiveRequest active, BlendFallbackReason reason, string detail, long bytesLoaded)
    {
        var plan = active.BlendPlan!;
        active.BlendReport = new BlendReport(false, reason, plan.NumCached, 0, plan.PromptLength, bytesLoaded);
        _blendCounters.Record(active.BlendReport);
        LogBlendFallback(_logger, active.Request.RequestId, reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: chunk KV blend falls back to a full prefill ({Reason}: {Detail})")]
    private static partial void LogBlendFallback(ILogger logger, string requestId, BlendFallbackReason reason, string detail);

    /// <summary>Mutated on the engine thread only; read as a snapshot with the stats.</summary>
    private sealed class BlendCounters
    {
        private readonly long[] _fallbacks = new long[Enum.GetValues<BlendFallbackReason>().Length];
        private long _blended, _reused, _recomputed, _bytes;

        public long Lookups { get; set; }

        public void Record(BlendReport report)
        {
            if (report.Fallback is { } reason)
            {
                _fallbacks[(int)reason]++;
            }
            else
            {
                _blended++;
                _reused += report.ReusedTokens;
                _recomputed += report.RecomputedTokens;
            }
            _bytes += report.BytesLoaded;
        }

        public BlendStats Snapshot() => new(
            Lookups, _blended,
            _fallbacks[(int)BlendFallbackReason.TooFewCachedTokens], _fallbacks[(int)BlendFallbackReason.UnsupportedRope],
            _fallbacks[(int)BlendFallbackReason.ChunkUnavailable], _fallbacks[(int)BlendFallbackReason.LoadTimeout],
            _reused, _recomputed, _bytes);
    }
}
