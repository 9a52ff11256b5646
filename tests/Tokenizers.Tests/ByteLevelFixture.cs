using System.Text.Json.Nodes;

namespace Platform.Tokenizers.Tests;

/// <summary>
/// Builds a tiny byte-level tokenizer.json whose ids are known by construction: id b is the GPT-2
/// alphabet character of byte b, then a few merges, then chat special tokens.
/// </summary>
internal static class ByteLevelFixture
{
    public const int SpaceT = 256;      // "Ġt"
    public const int He = 257;          // "he"
    public const int SpaceThe = 258;    // "Ġthe"
    public const int Ll = 259;          // "ll"
    public const int SpaceCat = 260;    // "Ġcat": in the vocab, reachable by no merge (for ignore_merges)
    public const int ImStart = 300;
    public const int ImEnd = 301;
    public const int EndOfText = 302;
    public const int ToolCall = 303;    // a non-special added token

    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's bytes_to_unicode, written independently of the library.</summary>
    public static char[] Alphabet { get; } = BuildAlphabet();

    public static string Json(
        bool llama3Split = true,
        bool mergesAsArrays = false,
        bool ignoreMerges = false,
        bool addPrefixSpace = false,
        bool bosTemplate = false)
    {
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++)
        {
            vocab[Alphabet[b].ToString()] = b;
        }

        vocab["Ġt"] = SpaceT;
        vocab["he"] = He;
        vocab["Ġthe"] = SpaceThe;
        vocab["ll"] = Ll;
        vocab["Ġcat"] = SpaceCat;

        string[][] merges = [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["l", "l"]];
        var mergesJson = new JsonArray(merges
            .Select(m => mergesAsArrays ? (JsonNode)new JsonArray(m[0], m[1]) : JsonValue.Create($"{m[0]} {m[1]}"))
            .ToArray());

        var byteLevel = new JsonObject
        {
            ["type"] = "ByteLevel",
            ["add_prefix_space"] = addPrefixSpace,
            ["trim_offsets"] = true,
            ["use_regex"] = !llama3Split,
        };
        JsonNode preTokenizer = llama3Split
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    byteLevel),
            }
            : byteLevel;

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(ImStart, "<|im_start|>", special: true),
                Added(ImEnd, "<|im_end|>", special: true),
                Added(EndOfText, "<|endoftext|>", special: true),
                Added(ToolCall, "<tool_call>", special: false)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = bosTemplate ? Template(EndOfText, "<|endoftext|>") : new JsonObject { ["type"] = "ByteLevel" },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab,
                ["merges"] = mergesJson,
            },
        };
        return root.ToJsonString();
    }

    /// <summary>The ids of text when no merge applies: its UTF-8 bytes.</summary>
    public static int[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    private static JsonObject Added(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = !special,
        ["special"] = special,
    };

    private static JsonObject Template(int id, string name) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(
            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = name, ["type_id"] = 0 } },
            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
        ["special_tokens"] = new JsonObject
        {
            [name] = new JsonObject { ["id"] = name, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(name) },
        },
    };

    private static char[] BuildAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToHashSet();
        var table = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            table[b] = printable.Contains(b) ? (char)b : (char)(256 + n++);
        }

        return table;
    }
}
