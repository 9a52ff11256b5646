namespace Platform.Tokenizers;

internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    // Hugging Face leaves empty segments empty, so "<s>" alone gains no "▁".
    public string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}
