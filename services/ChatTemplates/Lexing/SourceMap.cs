namespace Platform.ChatTemplates.Lexing;

/// <summary>Turns source offsets into 1-based line and column numbers for error messages.</summary>
internal sealed class SourceMap
{
    private readonly List<int> _lineStarts = [0];

    public SourceMap(string source)
    {
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public (int Line, int Column) Locate(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        var line = index >= 0 ? index : ~index - 1;
        return (line + 1, offset - _lineStarts[line] + 1);
    }

    public ChatTemplateException Error(ChatTemplateErrorKind kind, string reason, int offset)
    {
        var (line, column) = Locate(offset);
        return new ChatTemplateException(kind, reason, line, column);
    }
}
