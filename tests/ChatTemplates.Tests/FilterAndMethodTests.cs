using static Platform.ChatTemplates.Tests.TemplateAssert;

namespace Platform.ChatTemplates.Tests;

public sealed class FilterAndMethodTests
{
    private static readonly object Data = new
    {
        messages = new[]
        {
            new Dictionary<string, object?> { ["role"] = "system", ["content"] = "s" },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u1" },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u2" },
        },
    };

    [Theory]
    [InlineData("{{ '  x  ' | trim }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}", "x|AB|ab|Hello World|Hello")]
    [InlineData("{{ [1, 2] | length }} {{ 'abc' | count }} {{ [3, 4] | first }} {{ [3, 4] | last }} {{ [1, 2] | join(', ') }}", "2 3 3 4 1, 2")]
    [InlineData("{{ missing | default('d') }} {{ '' | default('e', true) }} {{ 'x' | default('y') }}", "d e x")]
    [InlineData("{{ '3' | int + 1 }} {{ 'x' | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }}", "4 0 2.5 3 2.57 3.0")]
    [InlineData("{{ 'aXbX' | replace('X', '-') }} {{ 'a' | safe }} {{ 7 | string ~ '!' }}", "a-b- a 7!")]
    [InlineData("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b\n\n  c|  a\n  b")]
    [InlineData("{{ ['a', 'A', 'b', 'a'] | unique | list }} {{ [3, 1, 2] | sort }} {{ [1, 2] | reverse | list }}", "['a', 'b'] [1, 2, 3] [2, 1]")]
    [InlineData("{{ {'b': 1, 'a': 2} | items | list }} {{ 'ab' | list }} {{ [1, 2, 3] | select('odd') | list }}", "[['b', 1], ['a', 2]] ['a', 'b'] [1, 3]")]
    public void Filters_behave_like_jinja(string template, string expected) => Renders(expected, template);

    [Fact]
    public void Selectattr_rejectattr_and_map_work_on_message_lists() =>
        Renders("u1,u2|s|user,user,system",
            "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}"
            + "|{{ (messages | rejectattr('role', 'equalto', 'user') | first).content }}"
            + "|{{ messages | map(attribute='role') | reverse | join(',') }}",
            Data);

    [Fact]
    public void Tojson_keeps_non_ascii_and_key_order_and_escapes_like_python() =>
        Renders("{\"z\": \"é\\n\\\"q\\\"\", \"a\": [1, 2.5, true, null]}|{\n  \"k\": []\n}|{\"a\":1}",
            "{{ d | tojson }}|{{ {'k': []} | tojson(indent=2) }}|{{ {'a': 1} | tojson(separators=(',', ':')) }}",
            new { d = new Dictionary<string, object?> { ["z"] = "é\n\"q\"", ["a"] = new object?[] { 1, 2.5, true, null } } });

    [Theory]
    [InlineData("{{ '  x '.strip() }}|{{ 'xxax'.lstrip('x') }}|{{ 'ab  '.rstrip() }}|{{ 'a,b'.split(',') }}|{{ ' a  b '.split() }}", "x|ax|ab|['a', 'b']|['a', 'b']")]
    [InlineData("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'Ab'.upper() }} {{ 'Ab'.lower() }} {{ 'a-b'.replace('-', '+') }}", "True True AB ab a+b")]
    [InlineData("{{ 'hi {} and {name}'.format('you', name='me') }} {{ 'hello there'.title() }} {{ ', '.join(['a', 'b']) }}", "hi you and me Hello There a, b")]
    [InlineData("{{ {'a': 1}.keys() | list }} {{ {'a': 1}.values() | list }} {{ {'a': 1}.get('b', 'none') }} {{ dict(x=1) }}", "['a'] [1] none {'x': 1}")]
    public void String_and_dict_methods_behave_like_python(string template, string expected) => Renders(expected, template);
}
