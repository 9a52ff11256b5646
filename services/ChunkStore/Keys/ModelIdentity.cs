namespace Platform.ChunkStore.Keys;

/// <summary>
/// Everything besides the tokens that decides what a chunk's KV is: the weights, the tokenizer, the compute
/// dtype and the LoRA adapter (empty for the base model). Part of every chunk key, so KV computed under one
/// never answers a lookup under another.
/// </summary>
public sealed record ModelIdentity(string ModelId, string TokenizerId, string DType, string AdapterId = "")
{
    public ModelIdentity WithAdapter(string? adapterId) => this with { AdapterId = adapterId ?? "" };
}
