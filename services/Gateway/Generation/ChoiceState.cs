using System.Text;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.Gateway.Metrics;

namespace Platform.Gateway.Generation;

/// <summary>What one choice has produced so far, recording its latencies as its events arrive.</summary>
internal sealed class ChoiceState(ChoicePlan plan, GatewayMetrics metrics, TimeProvider time, long arrival)
{
    private readonly StringBuilder _text = new();
    private readonly List<SampledToken> _tokens = [];
    private long _lastTokenAt;

    public ChoicePlan Plan { get; } = plan;
    public int Index => Plan.Index;
    public string Text => _text.ToString();
    public IReadOnlyList<SampledToken> Tokens => _tokens;
    public FinishReason? Finish { get; private set; }
    public Usage? Usage { get; private set; }
    public string? Error { get; private set; }

    /// <summary>OpenAI's finish_reason, once finished normally.</summary>
    public string? FinishReasonText => Finish switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => null,
    };

    /// <summary>The id before the token at <paramref name="position"/> (the prompt's last one for the first), for token texts.</summary>
    public int PreviousTokenId(int position) => position == 0 ? Plan.PromptTokenIds[^1] : _tokens[position - 1].TokenId;

    public void Observe(GenerationEvent e)
    {
        long now = time.GetTimestamp();
        if (e.Token is { } token)
        {
            if (_tokens.Count == 0)
            {
                metrics.RecordTimeToFirstToken(time.GetElapsedTime(arrival, now));
                Plan.Rag?.OnFirstToken(time.GetElapsedTime(arrival, now));
            }
            else
            {
                metrics.RecordInterTokenLatency(time.GetElapsedTime(_lastTokenAt, now));
            }
            _lastTokenAt = now;
            _tokens.Add(token);
        }
        _text.Append(e.TextDelta);
        if (e.IsFinal)
        {
            Finish = e.Finish;
            Usage = e.Usage;
            Error = e.Error;
            var reason = FinishReasonText ?? (e.Finish == FinishReason.Cancelled ? "abort" : "error");
            metrics.RecordFinished(reason, time.GetElapsedTime(arrival, now), e.Usage?.PromptTokens ?? 0, e.Usage?.CompletionTokens ?? 0);
        }
    }
}
