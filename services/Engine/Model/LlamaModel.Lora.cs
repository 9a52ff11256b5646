using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>Read access to the frozen head for LoRA training.</summary>
public sealed partial class LlamaModel
{
    internal Tensor FinalNormWeight => _norm;

    internal Tensor LmHead => _lmHead;
}
