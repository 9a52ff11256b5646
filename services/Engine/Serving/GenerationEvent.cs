using Platform.Engine.Sampling;

namespace Platform.Engine.Serving;

/// <summary>
/// One step's news for one request: the new token (none on an error or cancellation), the text it
/// completed (possibly empty while a UTF-8 character or a possible stop string is still open), and on
/// the last event the finish reason and usage.
/// </summary>
public sealed record GenerationEvent(string RequestId, SampledToken? Token, string TextDelta)
{
    public FinishReason? Finish { get; init; }
    public Usage? Usage { get; init; }
    public string? Error { get; init; }
    /// <summary>The stop string or stop token id that ended the request, when one did.</summary>
    public string? StopReason { get; init; }

    /// <summary>On the final event of a request that asked for it: the KV of its computed tokens.</summary>
    public KvSnapshot? Kv { get; init; }

    /// <summary>On the final event of a request that asked for a blend: what became of it (reused tokens, fallback).</summary>
    public Blending.BlendReport? Blend { get; init; }

    public bool IsFinal => Finish is not null;
}

/// <summary>Token counts of a request, as OpenAI's <c>usage</c> reports them.</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens, int CachedPromptTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
