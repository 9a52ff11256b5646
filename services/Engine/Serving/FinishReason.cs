namespace Platform.Engine.Serving;

/// <summary>Why a request ended; the first two are OpenAI's <c>finish_reason</c> values.</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token, a stop token id or a stop string.</summary>
    Stop,
    /// <summary>max_tokens reached, or the model's context length.</summary>
    Length,
    /// <summary>Cancelled by the caller (client gone, deadline passed).</summary>
    Cancelled,
    /// <summary>The engine could not serve it; see the event's error message.</summary>
    Error,
}
