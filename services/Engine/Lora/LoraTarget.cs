namespace Platform.Engine.Lora;

/// <summary>The seven projections of a Llama decoder layer a LoRA adapter may target (PEFT's target_modules).</summary>
public enum LoraTarget
{
    QProj,
    KProj,
    VProj,
    OProj,
    GateProj,
    UpProj,
    DownProj,
}
