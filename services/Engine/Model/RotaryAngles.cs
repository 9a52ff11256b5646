using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>RoPE cos and signed sin for one step's positions, [tokens, 1, head_dim] each.</summary>
public sealed record RotaryAngles(Tensor Cos, Tensor SignedSin);
