namespace Platform.ChatTemplates.Tests;

internal static class Conversations
{
    /// <summary>system + user + assistant + user, the shape every template test renders.</summary>
    public static readonly IReadOnlyList<ChatMessage> WithSystem =
    [
        new("system", "You are a helpful assistant."),
        new("user", "Hello!"),
        new("assistant", "Hi there. How can I help?"),
        new("user", "What is 2+2?"),
    ];

    public static readonly IReadOnlyList<ChatMessage> WithoutSystem = WithSystem.Skip(1).ToList();

    public static readonly IReadOnlyDictionary<string, object?> WeatherTool = new Dictionary<string, object?>
    {
        ["type"] = "function",
        ["function"] = new Dictionary<string, object?>
        {
            ["name"] = "get_weather",
            ["description"] = "Get the current weather",
            ["parameters"] = new Dictionary<string, object?>
            {
                ["type"] = "object",
                ["properties"] = new Dictionary<string, object?> { ["city"] = new Dictionary<string, object?> { ["type"] = "string" } },
                ["required"] = new[] { "city" },
            },
        },
    };

    /// <summary>A user question, the assistant's tool call, and the tool's answer.</summary>
    public static readonly IReadOnlyList<ChatMessage> ToolRoundTrip =
    [
        new("system", "You are a helpful assistant."),
        new("user", "What's the weather in Paris?"),
        new("assistant", null, ToolCalls:
        [
            new Dictionary<string, object?>
            {
                ["id"] = "call00001",
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?>
                {
                    ["name"] = "get_weather",
                    ["arguments"] = new Dictionary<string, object?> { ["city"] = "Paris" },
                },
            },
        ]),
        new("tool", "21 degrees", ToolCallId: "call00001"),
    ];
}
