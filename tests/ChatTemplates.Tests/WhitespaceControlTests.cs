using static Platform.ChatTemplates.Tests.TemplateAssert;

namespace Platform.ChatTemplates.Tests;

/// <summary>trim_blocks + lstrip_blocks (how Hugging Face configures Jinja) and the explicit - and + markers.</summary>
public sealed class WhitespaceControlTests
{
    [Fact]
    public void Block_tags_drop_their_indentation_and_the_newline_after_them() =>
        Renders("    hello\n", "  {% if true %}\n    hello\n  {% endif %}\n");

    [Fact]
    public void Variable_tags_keep_surrounding_whitespace() =>
        Renders("  a\nb", "  {{ 'a' }}\nb");

    [Fact]
    public void Indentation_is_kept_when_text_precedes_the_tag_on_its_line() =>
        Renders("x   y", "x {% if true %}  y{% endif %}");

    [Fact]
    public void Minus_strips_all_whitespace_including_newlines_on_its_side() =>
        Renders("a|b", "a \n\n {{- '|' -}} \n\n b");

    [Fact]
    public void Plus_disables_lstrip_and_trim_for_that_tag() =>
        Renders("  \nx\n", "  {%+ if true +%}\nx\n{% endif %}");

    [Fact]
    public void Comments_vanish_with_their_line() =>
        Renders("a\nb", "a\n  {# note #}\nb");

    [Fact]
    public void A_single_trailing_newline_is_dropped_as_jinja_does_by_default() =>
        Renders("x\n", "x\n\n");

    [Fact]
    public void Windows_newlines_are_normalized() =>
        Renders("a\nb", "a\r\n{% if true %}\r\nb{% endif %}");

    [Fact]
    public void Raw_blocks_output_tags_verbatim() =>
        Renders("{{ not evaluated }}", "{% raw %}{{ not evaluated }}{% endraw %}");

    [Fact]
    public void Generation_tags_render_their_body_unchanged() =>
        Renders("<|user|>hi<|assistant|>yo",
            "{% for m in messages %}<|{{ m.role }}|>{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}",
            new { messages = new[] { new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" }, new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "yo" } } });
}
