using Grpc.Core;
using Platform.Contracts.Inference.V1;
using Platform.Engine.Serving;
using Platform.PhaseSplit.Mapping;

namespace Platform.PhaseSplit.Hosting;

/// <summary>An engine request's events onto a gRPC token stream: Decode's <c>Generate</c> and both services' <c>GenerateColocated</c>.</summary>
public static class TokenStreaming
{
    /// <summary>
    /// Writes events until the final one; false when the stream ended without it. <paramref name="prefillReport"/>
    /// goes with the first event that carries a token.
    /// </summary>
    public static async Task<bool> WriteAllAsync(
        RequestStream stream, IServerStreamWriter<TokenEvent> writer, CancellationToken cancellationToken, PrefillReport? prefillReport = null)
    {
        await foreach (var e in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var wire = e.ToWire();
            if (prefillReport is not null && wire.Token is not null)
            {
                wire.PrefillReport = prefillReport;
                prefillReport = null;
            }
            await writer.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            if (e.IsFinal)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Prompt and decode on <paramref name="engine"/> with no KV transfer. The engine queues what it cannot run
    /// yet, so there is no RESOURCE_EXHAUSTED; the call's cancellation or the spec's deadline cancels the request.
    /// <paramref name="blend"/>: the spec's RAG chunks resolved against this instance's chunk store (null: a
    /// plain prefill, as on an instance without one).
    /// </summary>
    public static async Task GenerateColocatedAsync(
        LlmEngine engine, GenerationSpec spec, IServerStreamWriter<TokenEvent> writer, ServerCallContext context, TimeProvider time,
        Platform.Engine.Blending.BlendSpec? blend = null)
    {
        var request = spec.ToEngineRequest() with { Blend = blend };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        if (spec.Deadline is { } until)
        {
            var left = until.ToDateTimeOffset() - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw Faults.Of(StatusCode.DeadlineExceeded, $"request '{spec.RequestId}' is past its deadline");
            }
            deadline.CancelAfter(left);
        }
        RequestStream stream;
        try
        {
            stream = engine.AddRequest(request);
        }
        catch (ArgumentException e)
        {
            throw Faults.Invalid(e.Message);
        }
        bool finished = false;
        try
        {
            finished = await WriteAllAsync(stream, writer, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Faults.Of(StatusCode.DeadlineExceeded, $"request '{spec.RequestId}' passed its deadline");
        }
        finally
        {
            if (!finished)
            {
                engine.Cancel(spec.RequestId);
            }
        }
    }
}
