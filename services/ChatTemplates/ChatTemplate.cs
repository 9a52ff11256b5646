using Platform.ChatTemplates.Lexing;
using Platform.ChatTemplates.Parsing;
using Platform.ChatTemplates.Runtime;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates;

/// <summary>
/// A Hugging Face chat template (the Jinja text in <c>tokenizer_config.json</c>'s <c>chat_template</c> or a
/// <c>chat_template.jinja</c> file), parsed once and rendered many times. Rendering follows transformers'
/// <c>apply_chat_template</c>: Jinja with <c>trim_blocks</c> and <c>lstrip_blocks</c>, <c>raise_exception</c>,
/// <c>strftime_now</c> and a <c>tojson</c> that keeps non-ASCII text and key order. Instances are immutable and
/// safe to render from many threads.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The ChatML template (OpenHermes, Qwen-style turns) for models that ship none.</summary>
    public const string ChatMlTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private readonly IReadOnlyList<Node> _nodes;
    private readonly SourceMap _map;
    private readonly TimeProvider _time;

    private ChatTemplate(string source, IReadOnlyList<Node> nodes, SourceMap map, TimeProvider time)
    {
        Source = source;
        _nodes = nodes;
        _map = map;
        _time = time;
    }

    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; syntax errors, unknown filters and unknown tests fail here, not at render.</summary>
    /// <param name="source">The template text.</param>
    /// <param name="timeProvider">Clock for <c>strftime_now</c> (local time, as Python's <c>datetime.now()</c>); system clock if null.</param>
    /// <exception cref="ChatTemplateException">The template is malformed; the exception names line and column.</exception>
    public static ChatTemplate Parse(string source, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var normalized = Lexer.Normalize(source);
        var map = new SourceMap(normalized);
        return new ChatTemplate(source, Parser.Parse(normalized, map), map, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Renders with arbitrary variables. Values may be string, bool, integers, floating point, null, lists/arrays,
    /// dictionaries, or System.Text.Json elements/nodes; they are copied into the template's value model first.
    /// </summary>
    /// <exception cref="ChatTemplateException">Evaluation failed or the template called <c>raise_exception</c>.</exception>
    public string Render(IReadOnlyDictionary<string, object?> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var variables = context.ToDictionary(p => p.Key, p => Values.Normalize(p.Value), StringComparer.Ordinal);
        try
        {
            return new Renderer(variables, _time).Render(_nodes);
        }
        catch (TemplateFault fault)
        {
            throw _map.Error(fault.Kind, fault.Message, fault.Offset ?? 0);
        }
    }

    /// <summary>
    /// Renders a conversation with the variables transformers passes: <c>messages</c>, <c>tools</c> (none when
    /// absent), <c>add_generation_prompt</c>, <c>bos_token</c>/<c>eos_token</c> (left undefined when null), plus
    /// <paramref name="extra"/> (e.g. <c>date_string</c>, <c>enable_thinking</c>), which may override any of them.
    /// </summary>
    public string RenderChat(
        IReadOnlyList<ChatMessage> messages,
        bool addGenerationPrompt,
        string? bosToken,
        string? eosToken,
        IReadOnlyList<object>? tools = null,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => (object?)m.ToTemplateValue()).ToList(),
            ["tools"] = tools,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (bosToken is not null)
        {
            context["bos_token"] = bosToken;
        }

        if (eosToken is not null)
        {
            context["eos_token"] = eosToken;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, object?>())
        {
            context[key] = value;
        }

        return Render(context);
    }
}
