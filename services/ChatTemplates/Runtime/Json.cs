using System.Globalization;
using System.Text;

namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// Python's <c>json.dumps</c> as Hugging Face's <c>tojson</c> calls it: <c>ensure_ascii=False</c>, keys in insertion
/// order, separators <c>", "</c>/<c>": "</c> (<c>","</c> between items when indenting). Models were trained on
/// exactly these bytes, so spacing matters.
/// </summary>
internal sealed class Json
{
    private readonly StringBuilder _out = new();
    private readonly string? _indent;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _ensureAscii;
    private readonly bool _sortKeys;

    private Json(string? indent, string itemSeparator, string keySeparator, bool ensureAscii, bool sortKeys)
    {
        _indent = indent;
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _ensureAscii = ensureAscii;
        _sortKeys = sortKeys;
    }

    public static string Serialize(object? value, CallArgs args)
    {
        var indent = args.Get(0, "indent") switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            var other => throw new TemplateFault($"tojson indent must be an int or string, not '{Values.TypeName(other)}'"),
        };
        var (itemSeparator, keySeparator) = (indent is null ? ", " : ",", ": ");
        if (args.Get(-1, "separators") is IReadOnlyList<object?> { Count: 2 } separators)
        {
            (itemSeparator, keySeparator) = (PyFormat.Str(separators[0]), PyFormat.Str(separators[1]));
        }

        var json = new Json(
            indent, itemSeparator, keySeparator,
            Values.IsTruthy(args.Get(-1, "ensure_ascii", false)), Values.IsTruthy(args.Get(-1, "sort_keys", false)));
        json.Write(value, 0);
        return json._out.ToString();
    }

    private void Write(object? value, int depth)
    {
        switch (value)
        {
            case null: _out.Append("null"); break;
            case bool b: _out.Append(b ? "true" : "false"); break;
            case long l: _out.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: _out.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyFormat.Float(d)); break;
            case string s: WriteString(s); break;
            case IReadOnlyList<object?> list: WriteContainer('[', ']', list, depth, (item, d) => Write(item, d)); break;
            case IReadOnlyDictionary<string, object?> map:
                var entries = _sortKeys ? map.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : map.ToList();
                WriteContainer('{', '}', entries, depth, (entry, d) =>
                {
                    WriteString(entry.Key);
                    _out.Append(_keySeparator);
                    Write(entry.Value, d);
                });
                break;
            default:
                throw new TemplateFault($"Object of type {Values.TypeName(value)} is not JSON serializable");
        }
    }

    private void WriteContainer<T>(char open, char close, IReadOnlyList<T> items, int depth, Action<T, int> writeItem)
    {
        _out.Append(open);
        if (items.Count == 0)
        {
            _out.Append(close);
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                _out.Append(_itemSeparator);
            }

            NewLine(depth + 1);
            writeItem(items[i], depth + 1);
        }

        NewLine(depth);
        _out.Append(close);
    }

    private void NewLine(int depth)
    {
        if (_indent is null)
        {
            return;
        }

        _out.Append('\n');
        for (var i = 0; i < depth; i++)
        {
            _out.Append(_indent);
        }
    }

    private void WriteString(string s)
    {
        _out.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': _out.Append("\\\""); break;
                case '\\': _out.Append("\\\\"); break;
                case '\n': _out.Append("\\n"); break;
                case '\r': _out.Append("\\r"); break;
                case '\t': _out.Append("\\t"); break;
                case '\b': _out.Append("\\b"); break;
                case '\f': _out.Append("\\f"); break;
                case < ' ':
                case > '\x7f' when _ensureAscii:
                    _out.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    break;
                default: _out.Append(c); break;
            }
        }

        _out.Append('"');
    }
}
