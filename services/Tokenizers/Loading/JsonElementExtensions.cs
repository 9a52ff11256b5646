using System.Text.Json;

namespace Platform.Tokenizers;

/// <summary>Lenient accessors: tokenizer files omit fields or write null where a default applies.</summary>
internal static class JsonElementExtensions
{
    public static JsonElement? Property(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static string? StringOrNull(this JsonElement element, string name) =>
        element.Property(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static bool? BoolOrNull(this JsonElement element, string name) =>
        element.Property(name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    public static bool Bool(this JsonElement element, string name, bool defaultValue) =>
        element.BoolOrNull(name) ?? defaultValue;

    public static int Int(this JsonElement element, string name, int defaultValue) =>
        element.Property(name) is { ValueKind: JsonValueKind.Number } value ? value.GetInt32() : defaultValue;

    public static string TypeName(this JsonElement element) => element.StringOrNull("type") ?? "(no type)";
}
