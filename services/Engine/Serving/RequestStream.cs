using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Platform.Engine.Serving;

/// <summary>The events of one request as the engine produces them; the last one carries the finish reason.</summary>
public sealed class RequestStream
{
    internal RequestStream(string requestId, ChannelReader<GenerationEvent> events)
    {
        RequestId = requestId;
        Events = events;
    }

    public string RequestId { get; }

    public ChannelReader<GenerationEvent> Events { get; }

    public IAsyncEnumerable<GenerationEvent> ReadAllAsync(CancellationToken cancellationToken = default) =>
        Events.ReadAllAsync(cancellationToken);

    /// <summary>Waits for the end and gathers the whole result.</summary>
    public async Task<GenerationResult> CollectAsync(CancellationToken cancellationToken = default)
    {
        var tokens = new List<int>();
        var text = new System.Text.StringBuilder();
        var sampled = new List<Sampling.SampledToken>();
        await foreach (var e in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (e.Token is { } token)
            {
                tokens.Add(token.TokenId);
                sampled.Add(token);
            }
            text.Append(e.TextDelta);
            if (e.IsFinal)
            {
                return new GenerationResult(RequestId, tokens, text.ToString(), e.Finish!.Value, e.Usage!, sampled, e.Error, e.StopReason);
            }
        }
        throw new InvalidOperationException($"request {RequestId} ended without a final event");
    }
}
