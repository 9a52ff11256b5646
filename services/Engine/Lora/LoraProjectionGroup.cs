namespace Platform.Engine.Lora;

/// <summary>
/// The engine's fused projections: q/k/v share one matmul, gate/up another. A LoRA delta is applied per
/// group, its targets' A matrices stacked so the group runs one x·Aᵀ.
/// </summary>
public enum LoraProjectionGroup
{
    Qkv,
    O,
    GateUp,
    Down,
}
