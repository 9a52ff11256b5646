using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using Platform.Engine.Model;
using Platform.Engine.Sampling;
using Platform.Engine.Scheduling;
using Platform.Tokenizers;
using static TorchSharp.torch;

namespace Platform.Engine.Serving;

/// <summary>
/// The inference engine: requests in, token streams out. <see cref="Step"/> is one iteration
/// (schedule → execute → update) and runs on one thread; adding and cancelling requests is safe from any
/// thread. Cancelling frees the request's KV blocks at once (after the step in flight, if any).
/// </summary>
public sealed partial class LlmEngine : IDisposable
{
    private readonly Lock _stepLock = new();
    private readonly ConcurrentQueue<ActiveRequest> _incoming = new();
    private readonly ConcurrentQueue<(ActiveRequest Active, SampledToken FirstToken)> _commits = new();
    private readonly ConcurrentDictionary<string, ActiveRequest> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<long, ActiveRequest> _bySequence = [];
    private readonly SemaphoreSlim _workSignal = new(0);
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly HashSet<int> _eosTokenIds;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _nextSequenceId;
    private long _preemptions, _promptTokens, _generationTokens, _steps;
    private long _incomingPromptTokens;
    private EngineStats _lastStats;

    public LlmEngine(
        LlamaModel model,
        EngineOptions options,
        Tokenizer? tokenizer = null,
        IEnumerable<int>? eosTokenIds = null,
        ILogger<LlmEngine>? logger = null,
        TimeProvider? timeProvider = null)
    {
        Model = model;
        Options = options;
        Tokenizer = tokenizer;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<LlmEngine>.Instance;
        int numBlocks = PagedKvCache.BlocksForBudget(model.Config, options.KvCacheBytes, options.BlockSize, model.DType);
        if (numBlocks < 2)
        {
            throw new ArgumentException(
                $"KvCacheBytes {options.KvCacheBytes} holds {numBlocks} blocks of {options.BlockSize} tokens for this model; raise it");
        }
        Cache = new PagedKvCache(model.Config, numBlocks, options.BlockSize, model.DType, model.Device);
        _runner = new ModelRunner(model, Cache);
        Adapters = new Lora.LoraRegistry(model, options.MaxLoras, options.MaxLoraRank);
        _scheduler = new Scheduler(new SchedulerOptions
        {
            BlockSize = options.BlockSize,
            NumBlocks = numBlocks,
            MaxBatchedTokens = options.MaxBatchedTokens,
            MaxRunningSequences = options.MaxRunningSequences,
            EnablePrefixCaching = options.EnablePrefixCaching,
        });
        MaxModelLength = Math.Min(ModelLoader.MaxModelLength(model.Config, options), _scheduler.MaxSequenceLength);
        _lastStats = ComputeStats();
        _eosTokenIds = [.. eosTokenIds ?? model.Config.EosTokenIds];
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        int warmUpTokens = options.WarmUp ? WarmUp(numBlocks) : 0;
        LogStarted(_logger, model.Config.Architecture, numBlocks, options.BlockSize, MaxModelLength, options.Device, options.DType,
            OpenMpWaitPolicy.Description, warmUpTokens, warmUp.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// <see cref="EngineOptions.WarmUp"/>: a prefill of a full step's tokens and one decode step straight on the model
    /// runner, over the pool's first blocks. Nothing is scheduled yet and nothing hashes those blocks, so they stay free
    /// and their contents are overwritten by whoever gets them; no request, counter or metric sees the pass.
    /// Returns the prompt tokens it ran.
    /// </summary>
    private int WarmUp(int numBlocks)
    {
        int tokens = Math.Min(Math.Min(Options.MaxBatchedTokens, MaxModelLength - 1), (numBlocks * Options.BlockSize) - 1);
        if (tokens < 1)
        {
            return 0;
        }
        var ids = new int[tokens + 1];
        var blocks = Enumerable.Range(0, (tokens + Options.BlockSize) / Options.BlockSize).ToArray();
        using var scope = NewDisposeScope();
        _runner.Execute([new RunnerChunk(ids, 0, tokens, blocks, true)]);
        _runner.Execute([new RunnerChunk(ids, tokens, 1, blocks, true)]);
        return tokens;
    }

    /// <summary>Loads a Hugging Face model directory (config, weights, tokenizer) into a new engine.</summary>
    public static LlmEngine Load(string directory, EngineOptions options, ILoggerFactory? loggerFactory = null)
    {
        var model = ModelLoader.Load(directory, options);
        try
        {
            var tokenizer = File.Exists(Path.Combine(directory, "tokenizer.json")) ? Tokenizer.FromDirectory(directory) : null;
            var eos = model.Config.EosTokenIds.Concat(tokenizer?.EosTokenIds ?? []).Distinct();
            return new LlmEngine(model, options, tokenizer, eos, loggerFactory?.CreateLogger<LlmEngine>());
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public LlamaModel Model { get; }
    public EngineOptions Options { get; }
    public Tokenizer? Tokenizer { get; }
    public PagedKvCache Cache { get; }
    /// <summary>Longest prompt plus completion a request may have.</summary>
    public int MaxModelLength { get; }
    public IReadOnlySet<int> EosTokenIds => _eosTokenIds;
    public bool HasUnfinishedRequests => !_requests.IsEmpty;

    /// <summary>
    /// Queues a request. Throws <see cref="ArgumentException"/> (naming the problem) for an empty or
    /// too-long prompt, token ids outside the vocabulary, invalid sampling parameters or a duplicate id.
    /// </summary>
    public RequestStream AddRequest(GenerationRequest request)
    {
        var blend = request.Blend is null ? null : Blending.BlendPlan.Create(request.Blend, request.PromptTokenIds.Count);
        var active = Admit(request, request.PromptTokenIds);
        active.BlendPlan = blend;
        Interlocked.Add(ref _incomingPromptTokens, active.Sequence.PromptLength);
        _incoming.Enqueue(active);
        _workSignal.Release();
        return new RequestStream(request.RequestId, active.Reader);
    }

    /// <summary>Stops a request; its stream ends with <see cref="FinishReason.Cancelled"/>. False when unknown or done.</summary>
    public bool Cancel(string requestId)
    {
        if (!_requests.TryGetValue(requestId, out var active))
        {
            return false;
        }
        active.CancelRequested = true;
        // The import gate first: blocks still receiving imported KV are freed only between layer writes.
        lock (active.ImportGate)
        lock (_stepLock)
        {
            if (!active.Finished && _bySequence.ContainsKey(active.Sequence.Id))
            {
                Complete(active, FinishReason.Cancelled, null, "");
            }
        }
        _workSignal.Release();
        return true;
    }

    /// <summary>One engine iteration. Returns false when there was nothing to do.</summary>
    public bool Step()
    {
        lock (_stepLock)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            bool worked = StepLocked();
            // The inference part timed apart: the co-serving guard's reference for what inference alone takes.
            var inferenceTime = worked ? System.Diagnostics.Stopwatch.GetElapsedTime(start) : TimeSpan.Zero;
            worked |= FineTuneLocked(start, inferenceTime);
            _lastStats = ComputeStats();
            return worked;
        }
    }

    private bool StepLocked()
    {
        DrainIncoming();
        DrainCommits();
        bool blended = RunNextBlend();
        var output = _scheduler.Schedule();
        _inferenceTokensThisStep = output.Chunks.Sum(c => c.Count);
        _preemptions += output.Preempted.Count;
        foreach (var preempted in output.Preempted)
        {
            LogPreempted(_logger, _bySequence[preempted.Id].Request.RequestId, preempted.NumPreemptions);
        }
        if (output.IsEmpty)
        {
            return blended;
        }
        _steps++;
        var chunks = output.Chunks.Select(c => new RunnerChunk(
                c.Sequence.TokenIds, c.Start, c.Count, c.Sequence.BlockTable, c.SamplesNextToken, LayerSinkFor(c))
                { Adapter = _bySequence[c.Sequence.Id].Adapter })
            .ToList();
        using var scope = NewDisposeScope();
        Tensor? logits;
        try
        {
            logits = _runner.Execute(chunks);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStepFailed(_logger, e);
            foreach (var chunk in output.Chunks)
            {
                Complete(_bySequence[chunk.Sequence.Id], FinishReason.Error, $"engine step failed: {e.Message}", "");
            }
            return true;
        }
        _scheduler.OnStepCompleted(output);
        var sampledChunks = output.Chunks.Where(c => c.SamplesNextToken).ToList();
        if (logits is null || sampledChunks.Count == 0)
        {
            return true;
        }
        var requests = sampledChunks.Select(c => _bySequence[c.Sequence.Id]).ToList();
        var tokens = Sampler.Sample(logits, [.. requests.Select(r => r.Sampling)]);
        for (int i = 0; i < requests.Count; i++)
        {
            Accept(requests[i], tokens[i]);
        }
        return true;
    }

    /// <summary>Runs <see cref="Step"/> on a dedicated thread until cancelled, sleeping while idle.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.Factory.StartNew(
        () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!Step())
                {
                    try
                    {
                        _workSignal.Wait(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        },
        cancellationToken,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    /// <summary>
    /// The engine's load. A load poll must not wait behind a long step (a router would take the instance
    /// for dead), so while a step runs this answers with the figures taken at the end of the last one.
    /// </summary>
    public EngineStats Stats()
    {
        if (!_stepLock.TryEnter())
        {
            return Volatile.Read(ref _lastStats);
        }
        try
        {
            _lastStats = ComputeStats();
            return _lastStats;
        }
        finally
        {
            _stepLock.Exit();
        }
    }

    private EngineStats ComputeStats()
    {
        var kv = _scheduler.KvCache;
        return new EngineStats(_scheduler.NumRunning, _scheduler.NumWaiting + _incoming.Count + _blendQueue.Count, kv.Usage, kv.NumFreeBlocks,
            kv.NumTotalBlocks, kv.PrefixCacheQueries, kv.PrefixCacheHits, _preemptions, _promptTokens, _generationTokens, _steps)
        {
            Blend = _blendCounters.Snapshot(),
            QueuedPromptTokens = UncomputedPromptTokens(),
            AdaptersResident = Adapters.Count,
            FineTuningTokensTrained = _fineTuningTokensFinished + (_fineTuning?.TokensTrained ?? 0),
            FineTuningTimeShare = FineTuningTimeShare,
            FineTuningActive = _fineTuning is { IsDone: false },
        };
    }

    /// <summary>Prompt tokens admitted and not yet computed: queued, waiting for a blend, waiting, or mid-prefill.</summary>
    private long UncomputedPromptTokens()
    {
        long tokens = Volatile.Read(ref _incomingPromptTokens);
        foreach (var active in _blendQueue)
        {
            tokens += active.Sequence.PromptLength;
        }
        foreach (var sequence in _scheduler.Waiting)
        {
            tokens += Math.Max(0, sequence.PromptLength - sequence.NumComputedTokens);
        }
        foreach (var sequence in _scheduler.Running)
        {
            tokens += Math.Max(0, sequence.PromptLength - sequence.NumComputedTokens);
        }
        return tokens;
    }

    /// <summary>The request's layer sink, on the chunk that first completes its prompt.</summary>
    private IKvLayerSink? LayerSinkFor(ScheduledChunk chunk) =>
        chunk.End == chunk.Sequence.PromptLength && chunk.Sequence.NumGeneratedTokens == 0
            ? _bySequence[chunk.Sequence.Id].Request.KvLayerSink
            : null;

    private ActiveRequest Admit(GenerationRequest request, IReadOnlyList<int> prompt)
    {
        request.Sampling.Validate();
        if (prompt.Count == 0)
        {
            throw new ArgumentException("the prompt is empty", "prompt");
        }
        if (prompt.Count >= MaxModelLength)
        {
            throw new ArgumentException(
                $"this model's maximum context length is {MaxModelLength} tokens; the prompt has {prompt.Count} and at least one token must be generated",
                "messages");
        }
        int vocab = Model.Config.VocabSize;
        foreach (int id in prompt)
        {
            if ((uint)id >= (uint)vocab)
            {
                throw new ArgumentException($"prompt token id {id} is outside the vocabulary [0, {vocab})", "prompt");
            }
        }
        var adapter = AcquireAdapter(request);
        var sequence = new Sequence(Interlocked.Increment(ref _nextSequenceId), prompt, SaltOf(request, adapter));
        int maxTokens = Math.Min(request.Sampling.MaxTokens, MaxModelLength - prompt.Count);
        var active = new ActiveRequest(request, sequence, maxTokens, Tokenizer, _time.GetTimestamp()) { Adapter = adapter };
        if (!_requests.TryAdd(request.RequestId, active))
        {
            ReleaseAdapter(active);
            throw new ArgumentException($"request id '{request.RequestId}' is already in use", "request_id");
        }
        return active;
    }

    private void DrainIncoming()
    {
        while (_incoming.TryDequeue(out var active))
        {
            Interlocked.Add(ref _incomingPromptTokens, -active.Sequence.PromptLength);
            _bySequence[active.Sequence.Id] = active;
            if (active.CancelRequested)
            {
                Complete(active, FinishReason.Cancelled, null, "");
                continue;
            }
            if (!TryQueueBlend(active))
            {
                _scheduler.Add(active.Sequence);
                _promptTokens += active.Sequence.PromptLength;
            }
        }
    }

    /// <summary>Takes a sampled token into its sequence.</summary>
    private void Accept(ActiveRequest active, SampledToken token)
    {
        if (active.Finished)
        {
            return;
        }
        if (active.CancelRequested)
        {
            Complete(active, FinishReason.Cancelled, null, "");
            return;
        }
        active.Sequence.AppendToken(token.TokenId);
        Stream(active, token);
    }

    /// <summary>Streams an appended token's text and ends the request when it should.</summary>
    private void Stream(ActiveRequest active, SampledToken token)
    {
        active.CompletionTokens++;
        _generationTokens++;
        active.FirstTokenTimestamp ??= _time.GetTimestamp();
        var p = active.Request.Sampling;
        bool isStopToken = (!p.IgnoreEos && _eosTokenIds.Contains(token.TokenId)) || p.StopTokenIds.Contains(token.TokenId);
        if (isStopToken)
        {
            // The stop token's own text is not part of the completion.
            Complete(active, FinishReason.Stop, null, Flush(active), token, token.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        var text = active.StopStrings.Add(active.Detokenizer?.Add(token.TokenId) ?? "");
        if (active.StopStrings.Matched is { } stop)
        {
            Complete(active, FinishReason.Stop, null, text, token, stop);
        }
        else if (active.CompletionTokens >= active.MaxTokens)
        {
            Complete(active, FinishReason.Length, null, text + Flush(active), token);
        }
        else
        {
            active.Emit(new GenerationEvent(active.Request.RequestId, token, text));
        }
    }

    private static string Flush(ActiveRequest active) =>
        active.StopStrings.Add(active.Detokenizer?.Flush() ?? "") + active.StopStrings.Flush();

    private void Complete(ActiveRequest active, FinishReason reason, string? error, string text, SampledToken? token = null, string? stopReason = null)
    {
        if (active.Finished)
        {
            return;
        }
        var kv = active.Request.ExportKv && reason is FinishReason.Stop or FinishReason.Length ? Export(active.Sequence) : null;
        _scheduler.Finish(active.Sequence);
        _bySequence.Remove(active.Sequence.Id);
        _requests.TryRemove(active.Request.RequestId, out _);
        ReleaseAdapter(active);
        active.Emit(new GenerationEvent(active.Request.RequestId, token, text)
        {
            Finish = reason,
            Usage = active.Usage,
            Error = error,
            StopReason = stopReason,
            Kv = kv,
            Blend = active.BlendReport,
        });
        LogFinished(_logger, active.Request.RequestId, reason, active.Sequence.PromptLength, active.CompletionTokens);
    }

    public void Dispose()
    {
        Adapters.Dispose();
        Cache.Dispose();
        Model.Dispose();
        _workSignal.Dispose();
    }
}
