using System.Text;

namespace Platform.Tokenizers;

/// <summary>NFC/NFD/NFKC/NFKD (Qwen2 uses NFC).</summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : INormalizer
{
    /// <summary>
    /// False under InvariantGlobalization, where string.Normalize returns its input unchanged; text that
    /// is already normalized (almost all input) still tokenizes exactly, decomposed input may not.
    /// </summary>
    public static bool IsSupported { get; } = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";

    public string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
}
