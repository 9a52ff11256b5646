using System.Text.Json.Nodes;

namespace Platform.Tokenizers.Tests;

/// <summary>A tiny SentencePiece-style tokenizer.json using the Metaspace pre-tokenizer and decoder.</summary>
internal static class MetaspaceFixture
{
    public const int Bos = 1;
    public const int Space = 259;       // "▁"
    public const int A = 260;
    public const int B = 261;
    public const int SpaceA = 262;      // "▁a"
    public const int Ab = 264;          // "ab"
    public const int SpaceAb = 265;     // "▁ab"

    /// <summary>The id of the byte-fallback token &lt;0xXX&gt;.</summary>
    public static int ByteId(int b) => 3 + b;

    public static string Json(string prependScheme = "first", bool split = true)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = ByteId(b);
        }

        vocab["▁"] = Space;
        vocab["a"] = A;
        vocab["b"] = B;
        vocab["▁a"] = SpaceA;
        vocab["▁b"] = 263;
        vocab["ab"] = Ab;
        vocab["▁ab"] = SpaceAb;
        var metaspace = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = split };
        return new JsonObject
        {
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 0, ["content"] = "<unk>", ["special"] = true, ["normalized"] = false },
                new JsonObject { ["id"] = 1, ["content"] = "<s>", ["special"] = true, ["normalized"] = false },
                new JsonObject { ["id"] = 2, ["content"] = "</s>", ["special"] = true, ["normalized"] = false }),
            ["pre_tokenizer"] = metaspace,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(metaspace.DeepClone(), new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["unk_token"] = "<unk>",
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray("▁ a", "▁ b", "a b", "▁a b"),
            },
        }.ToJsonString();
    }
}
