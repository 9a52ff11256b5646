namespace Platform.Engine.Execution;

/// <summary>
/// One sequence's share of a step: compute positions [Start, Start + Count) of <paramref name="TokenIds"/>,
/// whose KV goes to the slots of <paramref name="BlockTable"/>; when <paramref name="Sample"/>, the logits of
/// the last of those positions are returned. A <paramref name="LayerSink"/> gets each layer's KV of positions
/// [0, Start + Count) as soon as that layer has run.
/// </summary>
public sealed record RunnerChunk(
    IReadOnlyList<int> TokenIds, int Start, int Count, IReadOnlyList<int> BlockTable, bool Sample, IKvLayerSink? LayerSink = null)
{
    /// <summary>The LoRA adapter this sequence runs under; null for the base model.</summary>
    public Lora.LoraAdapter? Adapter { get; init; }
}
