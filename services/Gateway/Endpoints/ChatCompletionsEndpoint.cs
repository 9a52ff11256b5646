using Microsoft.Extensions.Options;
using Platform.Gateway.Api;
using Platform.Gateway.Backend;
using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Gateway.Metrics;

namespace Platform.Gateway.Endpoints;

/// <summary><c>POST /v1/chat/completions</c>, whole or streamed as <c>chat.completion.chunk</c> events.</summary>
internal sealed class ChatCompletionsEndpoint(
    IGenerationBackend backend,
    ModelResolver resolver,
    AdmissionGate admission,
    ChatPromptBuilder prompts,
    Rag.RagPlanner rag,
    GatewayMetrics metrics,
    TimeProvider time,
    IOptions<GatewayOptions> options)
{
    public async Task HandleAsync(HttpContext context)
    {
        long arrival = time.GetTimestamp();
        using var lease = admission.Enter();
        var ct = context.RequestAborted;
        var body = await RequestBody.ReadAsync(context, GatewayJsonContext.Default.ChatCompletionRequest, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        var resolved = resolver.Resolve(body.Model, context);
        var modelName = resolved.Name;
        var model = backend.Model ?? throw new BackendUnavailableException(backend.NotReadyReason);

        var fields = new SamplingFields(body.Temperature, body.TopP, body.TopK, body.Seed, body.Stop, body.N, body.IgnoreEos,
            body.PresencePenalty, body.FrequencyPenalty, body.LogitBias);
        int n = SamplingBuilder.Validate(fields);
        if (body.TopLogprobs is not null && body.Logprobs != true)
        {
            throw ApiException.BadRequest("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
        }
        int? topLogprobs = body.Logprobs == true ? body.TopLogprobs ?? 0 : null;
        var ragPrompt = body.Rag is { } extension
            ? await rag.PlanChatAsync(context, extension, body.Messages, body.AddGenerationPrompt ?? true, body.Tools, resolved, model.Tokenizer, ct).ConfigureAwait(false)
            : null;
        var promptIds = ragPrompt?.PromptTokenIds ?? prompts.Build(body.Messages, body.AddGenerationPrompt ?? true, body.Tools, model.Tokenizer);
        var maxTokensParam = body.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        int maxTokens = ContextLength.ResolveMaxTokens(body.MaxCompletionTokens ?? body.MaxTokens, promptIds.Length, model.MaxModelLength, "messages", maxTokensParam);

        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        var choices = Enumerable.Range(0, n)
            .Select(i => new ChoiceState(new ChoicePlan(i, 0, promptIds, SamplingBuilder.Build(fields, maxTokens, topLogprobs, i)) { Rag = ragPrompt, Adapter = resolved.EngineAdapter, AdapterPath = resolved.AdapterPath }, metrics, time, arrival))
            .ToList();
        await using var session = await GenerationSession.StartAsync(backend, id, choices, ct).ConfigureAwait(false);
        if (body.Stream)
        {
            await StreamAsync(context.Response, session, id, created, modelName, model, body.StreamOptions?.IncludeUsage == true, ct).ConfigureAwait(false);
            return;
        }
        await session.CompleteAsync(ct).ConfigureAwait(false);
        var response = new ChatCompletionResponse(id, created, modelName,
            [.. choices.Select(c => new ChatChoice(c.Index, new ChatResponseMessage(c.Text),
                topLogprobs is null ? null : LogprobsFormatter.Chat(model.Tokenizer, c, 0, c.Tokens.Count), c.FinishReasonText))],
            UsageCalculator.From(choices));
        await TypedResults.Json(response, GatewayJsonContext.Default.ChatCompletionResponse).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task StreamAsync(
        HttpResponse response, GenerationSession session, string id, long created, string modelName, ModelInfo model, bool includeUsage, CancellationToken ct)
    {
        var type = GatewayJsonContext.Default.ChatCompletionChunk;
        ChatCompletionChunk Chunk(ChatChunkChoice choice) => new(id, created, modelName, [choice]);
        bool logprobs = session.Choices[0].Plan.Sampling.Logprobs;
        await ServerSentEvents.StartAsync(response, ct).ConfigureAwait(false);
        foreach (var choice in session.Choices)
        {
            await ServerSentEvents.WriteAsync(response, Chunk(new ChatChunkChoice(choice.Index, new ChatDelta { Role = "assistant", Content = "" })), type, ct).ConfigureAwait(false);
        }
        await foreach (var (choice, e) in session.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (e.TextDelta.Length > 0 || (logprobs && e.Token is not null))
            {
                int position = choice.Tokens.Count - 1;
                await ServerSentEvents.WriteAsync(response, Chunk(new ChatChunkChoice(choice.Index, new ChatDelta { Content = e.TextDelta })
                {
                    Logprobs = logprobs && e.Token is not null ? LogprobsFormatter.Chat(model.Tokenizer, choice, position, position + 1) : null,
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
            await ServerSentEvents.WriteAsync(response, Chunk(new ChatChunkChoice(choice.Index, new ChatDelta()) { FinishReason = choice.FinishReasonText }), type, ct).ConfigureAwait(false);
        }
        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(response, new ChatCompletionChunk(id, created, modelName, []) { Usage = UsageCalculator.From(session.Choices) }, type, ct).ConfigureAwait(false);
        }
        await ServerSentEvents.WriteDoneAsync(response, ct).ConfigureAwait(false);
    }
}
