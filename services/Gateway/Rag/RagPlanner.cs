using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.ChunkStore.Blending;
using Platform.ChunkStore.Hosting;
using Platform.ChunkStore.Keys;
using Platform.ChunkStore.Redis;
using Platform.Engine.Blending;
using Platform.Gateway.Api;
using Platform.Gateway.Endpoints;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;
using Platform.Tokenizers;

namespace Platform.Gateway.Rag;

/// <summary>
/// Builds a RAG request's prompt from token ids, never by re-tokenizing a concatenation:
/// <c>prefix + chunk_1 .. chunk_n + question</c>, each chunk tokenized alone (by text) or taken from the store
/// (by id), looked up under the tenant of the request's API key, and turned into the engine's blend. A store
/// that is down, slow or corrupt leaves chunks given by text to be computed (full prefill, counted and
/// logged); a chunk given by id needs the store for its tokens, so then the request is refused with 503. Under a
/// LoRA adapter the chunk keys carry the adapter's id, so only KV computed under that adapter is found, and
/// misses are written back computed under it.
/// </summary>
internal sealed partial class RagPlanner(
    RedisChunkStore store,
    GatewayModelIdentity identity,
    TenantResolver tenants,
    ChatPromptBuilder chat,
    ChunkWriteBack writeBack,
    IOptions<ChunkStoreOptions> options,
    RagMetrics metrics,
    ILogger<RagPlanner> logger)
{
    public const int MaxChunks = 64;

    // Marks where the chunks go in the rendered chat text; private-use characters no message contains, cut out before tokenizing.
    private const string Placeholder = "\uE000platform-rag-chunks\uE001";

    /// <summary><c>/v1/completions</c>: <c>[BOS] + chunks + prompt</c>; the prompt is one string or one token id list.</summary>
    public async Task<RagPrompt> PlanCompletionAsync(
        HttpContext context, RagExtension rag, JsonElement? prompt, ResolvedModel served, Tokenizer tokenizer, CancellationToken cancellationToken)
    {
        int[] question = prompt?.ValueKind switch
        {
            JsonValueKind.String => tokenizer.Encode(prompt.Value.GetString()!, addSpecialTokens: false, parseSpecialTokens: true),
            JsonValueKind.Array when prompt.Value.GetArrayLength() > 0 && prompt.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) =>
                [.. prompt.Value.EnumerateArray().Select(e => e.TryGetInt32(out int id) ? id : throw ApiException.BadRequest("Token ids in 'prompt' must be integers.", "prompt"))],
            _ => throw ApiException.BadRequest("With 'rag', 'prompt' must be one string or one list of token ids (the question after the chunks).", "prompt"),
        };
        int[] prefix = tokenizer.BosTokenId is { } bos ? [bos] : [];
        return await PlanAsync(context, rag, prefix, question, served, tokenizer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>/v1/chat/completions</c>: the conversation rendered with the model's template around a placeholder at
    /// the start of the last user message; the text before it and after it are tokenized apart and the chunks'
    /// token ids spliced in between.
    /// </summary>
    public async Task<RagPrompt> PlanChatAsync(
        HttpContext context, RagExtension rag, IReadOnlyList<ChatMessageInput>? messages, bool addGenerationPrompt, JsonElement? tools,
        ResolvedModel served, Tokenizer tokenizer, CancellationToken cancellationToken)
    {
        var text = chat.Render(messages, addGenerationPrompt, tools, tokenizer, Placeholder);
        int at = text.IndexOf(Placeholder, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(Placeholder, at + Placeholder.Length, StringComparison.Ordinal) >= 0)
        {
            throw ApiException.BadRequest("The model's chat template does not keep the last user message's content as it is, so chunks cannot be placed in it.", "rag");
        }
        int[] prefix = ChatPromptBuilder.Encode(text[..at], tokenizer);
        int[] suffix = tokenizer.Encode(text[(at + Placeholder.Length)..], addSpecialTokens: false, parseSpecialTokens: true);
        return await PlanAsync(context, rag, prefix, suffix, served, tokenizer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RagPrompt> PlanAsync(
        HttpContext context, RagExtension rag, int[] prefix, int[] suffix, ResolvedModel served, Tokenizer tokenizer, CancellationToken cancellationToken)
    {
        var chunks = Validate(rag);
        double ratio = rag.RecomputeRatio ?? BlendSpec.DefaultRecomputeRatio;
        var tenant = tenants.Resolve(context);
        var adapter = AdapterOf(served);
        var model = identity.Value.WithAdapter(adapter?.Id);

        var tokens = new int[chunks.Count][];
        var keys = new ChunkKey[chunks.Count];
        for (int i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].Text is { } text)
            {
                tokens[i] = tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: false);
                if (tokens[i].Length == 0)
                {
                    throw ApiException.BadRequest($"'rag.chunks[{i}].text' encodes to no tokens.", $"rag.chunks[{i}].text");
                }
                keys[i] = ChunkKey.Compute(model, tokens[i]);
            }
            else
            {
                keys[i] = ChunkKey.TryParse(chunks[i].Id)
                    ?? throw ApiException.BadRequest($"'rag.chunks[{i}].id' must be a chunk id from ingest (64 hex digits).", $"rag.chunks[{i}].id");
            }
        }

        var lookup = store.IsConfigured
            ? await store.LookupAsync(tenant, keys, cancellationToken).ConfigureAwait(false)
            : new ChunkLookup(new StoredChunk?[keys.Length], 0, null);
        for (int i = 0; i < chunks.Count; i++)
        {
            if (tokens[i] is not null)
            {
                continue;
            }
            var found = lookup.Found[i];
            if (found is null)
            {
                if (lookup.Failures > 0 || !store.IsConfigured)
                {
                    throw new ApiException(StatusCodes.Status503ServiceUnavailable,
                        $"The chunk store is unavailable, so chunk ids cannot be resolved now; retry, or send the chunks as 'text'. ({lookup.FirstFailure ?? "no chunk store configured"})",
                        ErrorTypes.Unavailable, $"rag.chunks[{i}].id", "chunk_store_unavailable");
                }
                throw new ApiException(StatusCodes.Status404NotFound, $"No chunk with id '{keys[i].Id}' is stored for this API key's tenant.",
                    ErrorTypes.InvalidRequest, $"rag.chunks[{i}].id", "chunk_not_found");
            }
            if (ChunkKey.Compute(model, [.. found.Header.TokenIds]) != keys[i])
            {
                throw ApiException.BadRequest($"Chunk '{keys[i].Id}' was computed for another model, tokenizer, dtype or LoRA adapter than the one requested.", $"rag.chunks[{i}].id");
            }
            tokens[i] = [.. found.Header.TokenIds];
        }

        var prompt = new List<int>(prefix.Length + suffix.Length + tokens.Sum(t => t.Length));
        var segments = new List<PlannedSegment>(chunks.Count + 2);
        void Add(int[] ids, StoredChunk? chunk)
        {
            if (ids.Length > 0)
            {
                segments.Add(new PlannedSegment(prompt.Count, ids.Length, chunk));
                prompt.AddRange(ids);
            }
        }
        Add(prefix, null);
        for (int i = 0; i < chunks.Count; i++)
        {
            Add(tokens[i], lookup.Found[i]);
        }
        Add(suffix, null);
        int[] promptIds = [.. prompt];
        var blend = ChunkBlendPlanner.Build(store, promptIds, segments, ratio, options.Value.MinCachedTokens);

        if (lookup.Failures > 0)
        {
            store.Metrics.RecordFallback("store_unavailable");
            metrics.RecordRequest("store_unavailable");
            LogStoreUnavailable(logger, lookup.Failures, chunks.Count, lookup.FirstFailure ?? "");
        }
        else
        {
            metrics.RecordRequest(blend is null ? "no_reuse" : "reuse");
            if (rag.WriteBack ?? options.Value.WriteBack)
            {
                var missed = Enumerable.Range(0, chunks.Count).Where(i => lookup.Found[i] is null).Select(i => tokens[i]).DistinctBy(keysOf => ChunkKey.Compute(model, keysOf)).ToList();
                if (missed.Count > 0 && store.IsConfigured)
                {
                    writeBack.Schedule(tenant, missed, adapter is null ? null : new WriteBackAdapter(served.Name, adapter));
                }
            }
        }
        if (blend is not null)
        {
            store.Metrics.RecordRecomputeRatio(ratio);
        }
        return new RagPrompt(promptIds, blend, tenant, metrics);
    }

    /// <summary>The request's adapter as chunk keys see it (its content's id); null for the base model.</summary>
    private static ChunkAdapter? AdapterOf(ResolvedModel served)
    {
        if (served.EngineAdapter is not { } engineName || served.AdapterPath is not { } path)
        {
            return null;
        }
        try
        {
            return ChunkAdapter.Of(engineName, path);
        }
        catch (Exception e) when (e is Engine.Lora.LoraAdapterException or IOException or UnauthorizedAccessException)
        {
            throw new ApiException(StatusCodes.Status500InternalServerError,
                $"The LoRA adapter '{served.Name}' cannot be read from its directory ({e.Message}); reload it.", ErrorTypes.Server, "model", "adapter_unreadable");
        }
    }

    private static IReadOnlyList<RagChunkInput> Validate(RagExtension rag)
    {
        if (rag.Chunks is not { Count: > 0 } chunks)
        {
            throw ApiException.BadRequest("'rag.chunks' must be a non-empty list of {\"id\": ...} or {\"text\": ...} objects.", "rag.chunks");
        }
        if (chunks.Count > MaxChunks)
        {
            throw ApiException.BadRequest($"'rag.chunks' may hold at most {MaxChunks} chunks, got {chunks.Count}.", "rag.chunks");
        }
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i] ?? throw ApiException.BadRequest($"'rag.chunks[{i}]' must be an object.", $"rag.chunks[{i}]");
            if ((chunk.Id is null) == (chunk.Text is null))
            {
                throw ApiException.BadRequest($"'rag.chunks[{i}]' must have exactly one of 'id' or 'text'.", $"rag.chunks[{i}]");
            }
            if (chunk.Text is { Length: 0 })
            {
                throw ApiException.BadRequest($"'rag.chunks[{i}].text' must not be empty.", $"rag.chunks[{i}].text");
            }
        }
        if (rag.RecomputeRatio is { } r && (double.IsNaN(r) || r < 0 || r > 1))
        {
            throw ApiException.BadRequest($"'rag.recompute_ratio' must be between 0 and 1, got {r}.", "rag.recompute_ratio");
        }
        return chunks;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk store unavailable for {Failed} of {Chunks} chunks ({Reason}); the prompt is computed without them (full prefill)")]
    private static partial void LogStoreUnavailable(ILogger logger, int failed, int chunks, string reason);
}
