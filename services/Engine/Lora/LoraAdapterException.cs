namespace Platform.Engine.Lora;

/// <summary>A LoRA adapter that cannot be loaded, used or unloaded; the message names the adapter and the problem.</summary>
public sealed class LoraAdapterException : Exception
{
    public LoraAdapterException(string message, LoraErrorKind kind = LoraErrorKind.Invalid, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public LoraErrorKind Kind { get; }
}
