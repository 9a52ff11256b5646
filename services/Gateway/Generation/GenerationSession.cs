using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Platform.Engine.Serving;
using Platform.Gateway.Backend;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Generation;

/// <summary>
/// The engine requests of one API request (one per choice), started together and read as one stream of
/// events in arrival order. Disposing cancels whatever has not finished, freeing its KV.
/// </summary>
internal sealed class GenerationSession : IAsyncDisposable
{
    private readonly IReadOnlyList<IGenerationStream> _streams;
    private readonly List<Task> _pumps = [];

    private GenerationSession(IReadOnlyList<ChoiceState> choices, IReadOnlyList<IGenerationStream> streams)
    {
        Choices = choices;
        _streams = streams;
    }

    public IReadOnlyList<ChoiceState> Choices { get; }

    /// <summary>Starts every choice; if one is refused, those already started are cancelled and the refusal propagates.</summary>
    public static async Task<GenerationSession> StartAsync(
        IGenerationBackend backend, string requestId, IReadOnlyList<ChoiceState> choices, CancellationToken cancellationToken)
    {
        var streams = new List<IGenerationStream>(choices.Count);
        try
        {
            foreach (var choice in choices)
            {
                var request = new GenerationRequest($"{requestId}-{choice.Index}", choice.Plan.PromptTokenIds, choice.Plan.Sampling)
                {
                    // Under an adapter the blend's chunks were looked up under the adapter's chunk keys.
                    Blend = choice.Plan.Rag?.Blend,
                    Adapter = choice.Plan.Adapter,
                    AdapterPath = choice.Plan.AdapterPath,
                };
                streams.Add(await backend.StartAsync(request, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var started in streams)
            {
                await started.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
        return new GenerationSession(choices, streams);
    }

    /// <summary>Every choice's events as they come; each is observed by its <see cref="ChoiceState"/> before it is yielded.</summary>
    public async IAsyncEnumerable<(ChoiceState Choice, GenerationEvent Event)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_streams.Count == 1)
        {
            await foreach (var e in _streams[0].ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                Choices[0].Observe(e);
                yield return (Choices[0], e);
            }
            yield break;
        }
        var merged = Channel.CreateUnbounded<(ChoiceState, GenerationEvent)>(new UnboundedChannelOptions { SingleReader = true });
        for (int i = 0; i < _streams.Count; i++)
        {
            _pumps.Add(PumpAsync(_streams[i], Choices[i], merged.Writer, cancellationToken));
        }
        _ = Task.WhenAll(_pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        await foreach (var (choice, e) in merged.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // Observed here, on the one reader, so each choice's state is only ever touched by one thread.
            choice.Observe(e);
            yield return (choice, e);
        }
    }

    /// <summary>Reads every choice to its end (the non-streaming path); fails on an engine error.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await foreach (var _ in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
        }
        ThrowIfFailed();
    }

    /// <summary>Throws the API error for a choice the engine could not finish.</summary>
    public void ThrowIfFailed()
    {
        foreach (var choice in Choices)
        {
            if (Failure(choice) is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>The API error for a choice that ended without a normal finish, or null.</summary>
    public static ApiException? Failure(ChoiceState choice) => choice.Finish switch
    {
        FinishReason.Error => new ApiException(StatusCodes.Status500InternalServerError,
            "The engine failed while generating this response. Retry, or report it if it persists.", ErrorTypes.Server, null, "engine_error"),
        FinishReason.Cancelled => new ApiException(StatusCodes.Status503ServiceUnavailable,
            "The request was cancelled by the server (shutting down or overloaded). Retry.", ErrorTypes.Unavailable, null, "request_cancelled"),
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in _streams)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client went away; the streams are cancelled above.
        }
    }

    private static async Task PumpAsync(
        IGenerationStream stream, ChoiceState choice, ChannelWriter<(ChoiceState, GenerationEvent)> writer, CancellationToken cancellationToken)
    {
        await foreach (var e in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            writer.TryWrite((choice, e));
        }
    }
}
