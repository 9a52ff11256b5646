using System.Threading.Channels;
using Platform.Engine.Sampling;
using Platform.Engine.Scheduling;
using Platform.Tokenizers;

namespace Platform.Engine.Serving;

/// <summary>The engine's state for one request: its sequence, sampling stream, detokenizer and output channel.</summary>
internal sealed class ActiveRequest
{
    private readonly Channel<GenerationEvent> _events = Channel.CreateUnbounded<GenerationEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    public ActiveRequest(GenerationRequest request, Sequence sequence, int maxTokens, Tokenizer? tokenizer, long arrivalTimestamp)
    {
        Request = request;
        Sequence = sequence;
        MaxTokens = maxTokens;
        Sampling = new SamplingState(request.Sampling);
        Detokenizer = tokenizer is null ? null : new IncrementalDetokenizer(tokenizer, request.PromptTokenIds, skipSpecialTokens: true);
        StopStrings = new StopStringMatcher(request.Sampling.StopStrings);
        ArrivalTimestamp = arrivalTimestamp;
    }

    public GenerationRequest Request { get; }
    /// <summary>The adapter the request holds (acquired at admission, released when it completes).</summary>
    public Lora.LoraAdapter? Adapter { get; init; }
    public bool AdapterReleased { get; set; }
    public Sequence Sequence { get; }
    public int MaxTokens { get; }
    public SamplingState Sampling { get; }
    public IncrementalDetokenizer? Detokenizer { get; }
    public StopStringMatcher StopStrings { get; }
    public long ArrivalTimestamp { get; }
    public long? FirstTokenTimestamp { get; set; }
    public int CompletionTokens { get; set; }
    /// <summary>Set from any thread; the engine loop drops the request at its next look.</summary>
    public volatile bool CancelRequested;
    public bool Finished { get; private set; }

    /// <summary>
    /// Held while imported KV is written into this request's blocks (without the engine's step lock), and
    /// by whatever frees those blocks, so a cancel never frees blocks mid-write. Taken before the step lock.
    /// </summary>
    public Lock ImportGate { get; } = new();

    public ChannelReader<GenerationEvent> Reader => _events.Reader;

    /// <summary>A blend's plan while it waits for its turn (null for other requests and after a fallback).</summary>
    public Blending.BlendPlan? BlendPlan { get; set; }

    /// <summary>What became of the request's blend, when it asked for one.</summary>
    public Blending.BlendReport? BlendReport { get; set; }

    /// <summary>Prompt tokens served from the prefix cache or reused from chunk KV without recompute.</summary>
    public Usage Usage => new(Sequence.PromptLength, CompletionTokens, Sequence.NumCachedPromptTokens + (BlendReport?.ReusedTokens ?? 0));

    public void Emit(GenerationEvent e)
    {
        _events.Writer.TryWrite(e);
        if (e.IsFinal)
        {
            Finished = true;
            _events.Writer.TryComplete();
        }
    }
}
