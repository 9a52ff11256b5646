namespace Platform.ChatTemplates.Tests;

/// <summary>Tool definitions and a call/result round trip through the real templates' tool paths.</summary>
public sealed class ToolCallingTemplateTests
{
    private const string WeatherToolCompactJson =
        "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather\", "
        + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";

    private const string WeatherToolIndentedJson = """
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {
                            "type": "string"
                        }
                    },
                    "required": [
                        "city"
                    ]
                }
            }
        }
        """;

    [Fact]
    public void Llama31_puts_tools_in_the_first_user_turn_and_renders_calls_as_json()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Llama31).RenderChat(
            Conversations.ToolRoundTrip, addGenerationPrompt: true, "<|begin_of_text|>", "<|eot_id|>", [Conversations.WeatherTool]);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\n"
            + "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n"
            + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
            + WeatherToolIndentedJson + "\n\n"
            + "What's the weather in Paris?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
            // A string is iterable in Jinja, so this template JSON-quotes plain-text tool results.
            + "<|start_header_id|>ipython<|end_header_id|>\n\n\"21 degrees\"<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Qwen25_lists_tools_in_the_system_turn_and_wraps_calls_and_results()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Qwen25).RenderChat(
            Conversations.ToolRoundTrip, addGenerationPrompt: true, null, "<|im_end|>", [Conversations.WeatherTool]);

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\n"
            + "You may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + WeatherToolCompactJson
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWhat's the weather in Paris?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n21 degrees\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void MistralV03_renders_available_tools_tool_calls_and_results()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.MistralV03).RenderChat(
            Conversations.ToolRoundTrip, addGenerationPrompt: true, "<s>", "</s>", [Conversations.WeatherTool]);

        Assert.Equal(
            "<s>[AVAILABLE_TOOLS] [" + WeatherToolCompactJson + "][/AVAILABLE_TOOLS]"
            + "[INST] You are a helpful assistant.\n\nWhat's the weather in Paris?[/INST]"
            + "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"call00001\"}]</s>"
            + "[TOOL_RESULTS] {\"content\": 21 degrees, \"call_id\": \"call00001\"}[/TOOL_RESULTS]",
            prompt);
    }

    [Fact]
    public void Tools_given_as_json_elements_render_like_dictionaries()
    {
        using var document = System.Text.Json.JsonDocument.Parse(WeatherToolCompactJson);
        var prompt = ChatTemplate.Parse("{% for t in tools %}{{ t | tojson }}{% endfor %}")
            .RenderChat([], addGenerationPrompt: false, null, null, [document.RootElement]);

        Assert.Equal(WeatherToolCompactJson, prompt);
    }
}
