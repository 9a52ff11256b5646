using static TorchSharp.torch;

namespace Platform.Engine.Lora;

/// <summary>
/// One adapter's weights for one fused projection of one layer: the targets' A matrices stacked along
/// their rank rows (<see cref="A"/> [Σr, in]) and, per target, which rank rows and output columns it owns.
/// </summary>
public sealed record LoraFusedWeights(Tensor A, IReadOnlyList<LoraFusedPart> Parts);

/// <summary>Target rows [RankOffset, RankOffset + Rank) of the stacked A feed B [out, r] into output columns [OutOffset, OutOffset + B.out).</summary>
public sealed record LoraFusedPart(LoraTarget Target, long RankOffset, long Rank, long OutOffset, Tensor B);
