namespace Platform.Tokenizers.Tests;

/// <summary>Strings that stress tokenizers: scripts, combining marks, emoji sequences, whitespace runs.</summary>
internal static class TextSamples
{
    public static TheoryData<string> All { get; } =
    [
        "Once upon a time",
        "Hello world",
        "",
        " leading space",
        "trailing space ",
        "  two  spaces   three",
        "tabs\tand\t\ttabs",
        "new\nlines\n\n\nand\r\nCRLF",
        "  \n \t ",
        "中文分词测试，你好世界！",
        "مرحبا بالعالم",
        "e\u0301 combining a\u0308\u0304 marks",
        "Zoë naïve café",
        "emoji 😀 and 👍🏽",
        "family 👨‍👩‍👧‍👦 ZWJ",
        "flags 🇺🇸🇯🇵",
        "math 𝐀𝐁𝐂 and 𠀀 ext-B",
        "mixed: Timmy said \"hi\" 123 4567 — ok…",
        "it's they're I'LL we've",
        "<|im_start|> looks special",
        "<s> and </s> markers",
    ];
}
