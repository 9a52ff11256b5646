namespace Platform.ChatTemplates.Tests;

public sealed class ErrorTests
{
    [Fact]
    public void MistralV01_rejects_a_system_message_with_its_alternation_error()
    {
        var template = ChatTemplate.Parse(ModelTemplates.MistralV01);

        var error = Assert.Throws<ChatTemplateException>(() =>
            template.RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<s>", "</s>"));

        Assert.Equal(ChatTemplateErrorKind.Raised, error.Kind);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Reason);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void MistralV03_rejects_two_user_turns_in_a_row()
    {
        var template = ChatTemplate.Parse(ModelTemplates.MistralV03);

        var error = Assert.Throws<ChatTemplateException>(() => template.RenderChat(
            [new ChatMessage("user", "a"), new ChatMessage("user", "b")], addGenerationPrompt: true, "<s>", "</s>"));

        Assert.Equal(ChatTemplateErrorKind.Raised, error.Kind);
        Assert.Equal("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...", error.Reason);
        Assert.Equal(18, error.Line);
    }

    [Fact]
    public void Unclosed_block_reports_where_it_was_opened()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\nline two {% if x %}\nbody"));

        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Contains("'endif'", error.Message, StringComparison.Ordinal);
        Assert.Equal((2, 13), (error.Line, error.Column));
    }

    [Fact]
    public void Unknown_filter_is_named_at_parse_time_with_its_position()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("a\nb\n  {{ messages | frobnicate }}"));

        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Equal("unknown filter 'frobnicate'", error.Reason);
        Assert.Equal((3, 15), (error.Line, error.Column));
        Assert.Contains("line 3, column 15", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% frob %}", "unknown or unsupported tag 'frob'")]
    [InlineData("{{ 1 + }}", "unexpected '}}'")]
    [InlineData("{{ 'abc }}", "unterminated string literal")]
    [InlineData("{% endfor %}", "unexpected 'endfor' without a matching opening tag")]
    [InlineData("{{ x is frob }}", "unknown test 'frob'")]
    [InlineData("{{ x ", "unexpected end of template, expected '}}'")]
    public void Syntax_errors_say_what_is_wrong(string template, string reason)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template));

        Assert.Equal(ChatTemplateErrorKind.Syntax, error.Kind);
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void Runtime_type_errors_point_at_the_operator()
    {
        var template = ChatTemplate.Parse("ok\n{{ 'a' + 1 }}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(new Dictionary<string, object?>()));

        Assert.Equal(ChatTemplateErrorKind.Runtime, error.Kind);
        Assert.Equal("unsupported operand type(s) for +: 'str' and 'int'", error.Reason);
        Assert.Equal((2, 8), (error.Line, error.Column));
    }

    [Fact]
    public void Arithmetic_on_an_undefined_variable_names_it()
    {
        var error = Assert.Throws<ChatTemplateException>(() =>
            ChatTemplate.Parse("{{ 'x' + nope }}").Render(new Dictionary<string, object?>()));

        Assert.Equal("'nope' is undefined", error.Reason);
    }
}
