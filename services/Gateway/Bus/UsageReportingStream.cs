using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using Platform.Contracts.Bus.V1;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;
using Platform.RequestBus;

namespace Platform.Gateway.Bus;

/// <summary>
/// Passes a request's events through and, at its final event, publishes its one usage event (tenant, model,
/// tokens, TTFT and end-to-end latency) on the bus's usage topic. The Gateway is the only publisher and sees
/// each request's final event once, so redeliveries inside the bus never add a second event.
/// </summary>
internal sealed partial class UsageReportingStream(
    IGenerationStream inner, IRequestBus bus, UsageEvent template, long started, TimeProvider time, ILogger logger) : IGenerationStream
{
    private double _ttft = -1;
    private int _published;

    public string RequestId => inner.RequestId;

    public async IAsyncEnumerable<GenerationEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in inner.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_ttft < 0 && e.Token is not null)
            {
                _ttft = time.GetElapsedTime(started).TotalSeconds;
            }
            if (e.IsFinal)
            {
                Publish(e);
            }
            yield return e;
        }
    }

    private void Publish(GenerationEvent final)
    {
        if (Interlocked.Exchange(ref _published, 1) == 1)
        {
            return;
        }
        var usage = template.Clone();
        usage.PromptTokens = final.Usage?.PromptTokens ?? 0;
        usage.CompletionTokens = final.Usage?.CompletionTokens ?? 0;
        usage.CachedPromptTokens = final.Usage?.CachedPromptTokens ?? 0;
        usage.TimeToFirstTokenSeconds = Math.Max(0, _ttft);
        usage.E2ESeconds = time.GetElapsedTime(started).TotalSeconds;
        usage.FinishReason = final.Finish?.ToString().ToLowerInvariant() ?? "";
        usage.FinishedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        // Off the token path: the client's last event does not wait for the usage topic.
        _ = PublishAsync(usage);
    }

    private async Task PublishAsync(UsageEvent usage)
    {
        try
        {
            await bus.PublishUsageAsync(usage).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogUsageFailed(logger, e, usage.RequestId);
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing the usage event of request {RequestId} failed")]
    private static partial void LogUsageFailed(ILogger logger, Exception exception, string requestId);
}
