namespace Platform.ChatTemplates.Syntax;

// The statement tree, as immutable as the expressions.
internal abstract record Node(int Offset);

internal sealed record TextNode(int Offset, string Text) : Node(Offset);

internal sealed record OutputNode(int Offset, Expr Value) : Node(Offset);

internal sealed record IfBranch(Expr Condition, IReadOnlyList<Node> Body);

internal sealed record IfNode(int Offset, IReadOnlyList<IfBranch> Branches, IReadOnlyList<Node> Else) : Node(Offset);

internal sealed record ForNode(
    int Offset, IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else)
    : Node(Offset);

/// <summary><c>set a = x</c>, <c>set a, b = x</c>, or with <see cref="Attribute"/> <c>set ns.attr = x</c>.</summary>
internal sealed record SetNode(int Offset, IReadOnlyList<string> Targets, string? Attribute, Expr Value) : Node(Offset);

internal sealed record SetBlockNode(int Offset, string Target, IReadOnlyList<Node> Body) : Node(Offset);

internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed record MacroNode(int Offset, string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Node> Body)
    : Node(Offset);

internal sealed record LoopControlNode(int Offset, bool IsBreak) : Node(Offset);

internal sealed record FilterCall(string Name, Arguments Arguments);

/// <summary><c>{% filter upper %}...{% endfilter %}</c>: the rendered body piped through one or more filters.</summary>
internal sealed record FilterBlockNode(int Offset, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Node> Body) : Node(Offset);
