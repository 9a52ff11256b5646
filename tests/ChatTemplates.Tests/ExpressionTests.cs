using static Platform.ChatTemplates.Tests.TemplateAssert;

namespace Platform.ChatTemplates.Tests;

public sealed class ExpressionTests
{
    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }}", "3 -4 1 2 3.5 1024")]
    [InlineData("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1.5 + 1 }} {{ 4 / 2 }}", "7 9 2.5 2.0")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2] }}", "a1NoneTrue ababab [1, 2]")]
    [InlineData("{{ 'yes' if 1 < 2 else 'no' }}|{{ 'x' if false }}|", "yes||")]
    [InlineData("{{ not true or 0 }} {{ 1 and 'b' }} {{ none or 'd' }}", "0 b d")]
    [InlineData("{{ 'b' in 'abc' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 1} }}", "True False True")]
    [InlineData("{{ [1, 'a', none, true, 1.0] }} {{ {'a': [1, 2]} }}", "[1, 'a', None, True, 1.0] {'a': [1, 2]}")]
    [InlineData("{{ 1 == 1.0 }} {{ [1, [2]] == [1, [2]] }} {{ 'a' < 'b' }} {{ \"it's\" }}", "True True True it's")]
    [InlineData("{{ 'a\\tb\\n\\u00e9\\x41' }}", "a\tb\néA")]
    public void Operators_and_literals_follow_python_semantics(string template, string expected) =>
        Renders(expected, template);

    [Theory]
    [InlineData("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[-1] }} {{ xs[10] }}|", "[2, 3] [1, 2] [3, 2, 1] 3 |")]
    [InlineData("{{ s[1:3] }} {{ s[::-1] }} {{ s[0] }}", "bc dcba a")]
    public void Slicing_and_indexing_follow_python(string template, string expected) =>
        Renders(expected, template, new { xs = new[] { 1, 2, 3 }, s = "abcd" });

    [Fact]
    public void Undefined_renders_empty_is_falsy_and_chains_attribute_access() =>
        Renders("[]|F|T|T|0", "[{{ missing }}]|{{ 'T' if missing else 'F' }}|{{ 'T' if missing.a.b is not defined }}|{{ 'T' if m.role is defined }}|{{ missing | length }}",
            new { m = new Dictionary<string, object?> { ["role"] = "user" } });

    [Fact]
    public void Attribute_and_item_access_reach_dictionary_keys() =>
        Renders("user user hi", "{{ m.role }} {{ m['role'] }} {{ m.get('content') }}", new { m = new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" } });

    [Fact]
    public void For_loops_expose_loop_variables_and_support_else_filters_and_unpacking() =>
        Renders("1/3:a=1,first 2/3:b=2 3/3:c=3,last|none|b",
            "{% for k, v in d.items() %}{{ loop.index }}/{{ loop.length }}:{{ k }}={{ v }}{% if loop.first %},first{% endif %}{% if loop.last %},last{% endif %}{% if not loop.last %} {% endif %}{% endfor %}"
            + "|{% for x in [] %}x{% else %}none{% endfor %}|{% for k in d if d[k] == 2 %}{{ k }}{% endfor %}",
            new { d = new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2, ["c"] = 3 } });

    [Fact]
    public void Set_inside_a_loop_does_not_leak_but_namespace_attributes_do() =>
        Renders("0 3", "{% set n = 0 %}{% set ns = namespace(total=0) %}{% for i in range(3) %}{% set n = n + 1 %}{% set ns.total = ns.total + 1 %}{% endfor %}{{ n }} {{ ns.total }}");

    [Fact]
    public void Break_and_continue_control_loops() =>
        Renders("13", "{% for i in range(10) %}{% if i == 0 or i == 2 %}{% continue %}{% endif %}{% if i > 3 %}{% break %}{% endif %}{{ i }}{% endfor %}");

    [Fact]
    public void Macros_take_positional_keyword_and_default_arguments() =>
        Renders("<a:1><b:x>", "{% macro tag(name, value='x') %}<{{ name }}:{{ value }}>{% endmacro %}{{ tag('a', 1) }}{{ tag(name='b') }}");

    [Fact]
    public void Set_blocks_capture_rendered_text() =>
        Renders("HELLO", "{% set greeting %}hello{% endset %}{{ greeting | upper }}");

    [Fact]
    public void Filter_blocks_pipe_their_rendered_body() =>
        Renders("HI THERE", "{% filter upper | trim %}  hi {{ 'there' }} {% endfilter %}");

    [Fact]
    public void Is_tests_classify_values() =>
        Renders("True True True True True False True True True",
            "{{ s is string }} {{ d is mapping }} {{ xs is iterable }} {{ s is iterable }} {{ n is number }} {{ s is number }} {{ none is none }} {{ xs is sequence }} {{ 4 is divisibleby 2 }}",
            new { s = "x", d = new Dictionary<string, object?>(), xs = new[] { 1 }, n = 1.5 });

    [Fact]
    public void Strftime_now_formats_the_injected_time()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2024, 7, 26, 9, 5, 3, TimeSpan.Zero));
        var text = ChatTemplate.Parse("{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %-d %b') }}", clock).Render(new Dictionary<string, object?>());
        Assert.Equal("2024-07-26 09:05:03 Friday July 26 Jul", text);
    }

    [Fact]
    public void A_parsed_template_renders_concurrently_without_shared_state()
    {
        var template = ChatTemplate.Parse(ModelTemplates.Qwen25);
        var results = new string[64];
        Parallel.For(0, results.Length, i => results[i] = template.RenderChat(
            [new ChatMessage("user", $"question {i}")], addGenerationPrompt: true, null, null));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Contains($"<|im_start|>user\nquestion {i}<|im_end|>\n", results[i], StringComparison.Ordinal);
        }
    }
}
