using Microsoft.Extensions.Options;
using Platform.Gateway.Api;
using Platform.Gateway.Backend;
using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Gateway.Metrics;

namespace Platform.Gateway.Endpoints;

/// <summary><c>POST /v1/completions</c> (legacy text completions), whole or streamed as <c>text_completion</c> events.</summary>
internal sealed class CompletionsEndpoint(
    IGenerationBackend backend,
    ModelResolver resolver,
    AdmissionGate admission,
    GatewayMetrics metrics,
    Rag.RagPlanner rag,
    TimeProvider time,
    IOptions<GatewayOptions> options)
{
    // OpenAI's default for the legacy endpoint.
    private const int DefaultMaxTokens = 16;

    public async Task HandleAsync(HttpContext context)
    {
        long arrival = time.GetTimestamp();
        using var lease = admission.Enter();
        var ct = context.RequestAborted;
        var body = await RequestBody.ReadAsync(context, GatewayJsonContext.Default.CompletionRequest, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        var resolved = resolver.Resolve(body.Model, context);
        var modelName = resolved.Name;
        var model = backend.Model ?? throw new BackendUnavailableException(backend.NotReadyReason);

        var fields = new SamplingFields(body.Temperature, body.TopP, body.TopK, body.Seed, body.Stop, body.N, body.IgnoreEos,
            body.PresencePenalty, body.FrequencyPenalty, body.LogitBias);
        int n = SamplingBuilder.Validate(fields);
        if (body.Echo == true)
        {
            throw ApiException.BadRequest("'echo' is not supported by this server.", "echo");
        }
        if (!string.IsNullOrEmpty(body.Suffix))
        {
            throw ApiException.BadRequest("'suffix' is not supported by this server.", "suffix");
        }
        if (body.BestOf is { } bestOf && bestOf != n)
        {
            throw ApiException.BadRequest("'best_of' other than 'n' is not supported by this server.", "best_of");
        }
        if (body.Logprobs is < 0 or > 20)
        {
            throw ApiException.BadRequest($"'logprobs' must be between 0 and 20, got {body.Logprobs}.", "logprobs");
        }
        var ragPrompt = body.Rag is { } extension
            ? await rag.PlanCompletionAsync(context, extension, body.Prompt, resolved, model.Tokenizer, ct).ConfigureAwait(false)
            : null;
        var promptList = ragPrompt is not null ? [ragPrompt.PromptTokenIds] : CompletionPrompts.Parse(body.Prompt, model.Tokenizer);
        if (promptList.Count * n > SamplingBuilder.MaxChoices)
        {
            throw ApiException.BadRequest($"prompts x n must be at most {SamplingBuilder.MaxChoices}.", "n");
        }
        var choices = new List<ChoiceState>(promptList.Count * n);
        for (int p = 0; p < promptList.Count; p++)
        {
            int maxTokens = ContextLength.ResolveMaxTokens(
                body.MaxTokens, promptList[p].Length, model.MaxModelLength, "prompt", "max_tokens", DefaultMaxTokens);
            for (int i = 0; i < n; i++)
            {
                var plan = new ChoicePlan(p * n + i, p, promptList[p], SamplingBuilder.Build(fields, maxTokens, body.Logprobs, i)) { Rag = ragPrompt, Adapter = resolved.EngineAdapter, AdapterPath = resolved.AdapterPath };
                choices.Add(new ChoiceState(plan, metrics, time, arrival));
            }
        }

        var id = "cmpl-" + Guid.NewGuid().ToString("N");
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        await using var session = await GenerationSession.StartAsync(backend, id, choices, ct).ConfigureAwait(false);
        if (body.Stream)
        {
            await StreamAsync(context.Response, session, id, created, modelName, model, body.StreamOptions?.IncludeUsage == true, ct).ConfigureAwait(false);
            return;
        }
        await session.CompleteAsync(ct).ConfigureAwait(false);
        var response = new CompletionResponse(id, created, modelName, [.. choices.Select(c =>
        {
            int offset = 0;
            return new CompletionChoice(c.Index, c.Text)
            {
                Logprobs = body.Logprobs is null ? null : LogprobsFormatter.Completion(model.Tokenizer, c, 0, c.Tokens.Count, ref offset),
                FinishReason = c.FinishReasonText,
            };
        })])
        { Usage = UsageCalculator.From(choices) };
        await TypedResults.Json(response, GatewayJsonContext.Default.CompletionResponse).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task StreamAsync(
        HttpResponse response, GenerationSession session, string id, long created, string modelName, ModelInfo model, bool includeUsage, CancellationToken ct)
    {
        var type = GatewayJsonContext.Default.CompletionResponse;
        CompletionResponse Chunk(CompletionChoice choice) => new(id, created, modelName, [choice]);
        bool logprobs = session.Choices[0].Plan.Sampling.Logprobs;
        var offsets = new int[session.Choices.Count];
        await ServerSentEvents.StartAsync(response, ct).ConfigureAwait(false);
        await foreach (var (choice, e) in session.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (e.TextDelta.Length > 0 || (logprobs && e.Token is not null))
            {
                int position = choice.Tokens.Count - 1;
                await ServerSentEvents.WriteAsync(response, Chunk(new CompletionChoice(choice.Index, e.TextDelta)
                {
                    Logprobs = logprobs && e.Token is not null
                        ? LogprobsFormatter.Completion(model.Tokenizer, choice, position, position + 1, ref offsets[choice.Index])
                        : null,
                }), type, ct).ConfigureAwait(false);
            }
            if (!e.IsFinal)
            {
                continue;
            }
            if (GenerationSession.Failure(choice) is { } error)
            {
                await ServerSentEvents.WriteErrorAsync(response, error, ct).ConfigureAwait(false);
                await ServerSentEvents.WriteDoneAsync(response, ct).ConfigureAwait(false);
                return;
            }
            await ServerSentEvents.WriteAsync(response, Chunk(new CompletionChoice(choice.Index, "") { FinishReason = choice.FinishReasonText }), type, ct).ConfigureAwait(false);
        }
        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(response, new CompletionResponse(id, created, modelName, []) { Usage = UsageCalculator.From(session.Choices) }, type, ct).ConfigureAwait(false);
        }
        await ServerSentEvents.WriteDoneAsync(response, ct).ConfigureAwait(false);
    }
}
