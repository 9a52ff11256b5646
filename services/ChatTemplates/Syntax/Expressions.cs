namespace Platform.ChatTemplates.Syntax;

// The expression tree. Immutable, so one parsed template renders on many threads at once.
internal abstract record Expr(int Offset);

internal sealed record LiteralExpr(int Offset, object? Value) : Expr(Offset);

internal sealed record ListExpr(int Offset, IReadOnlyList<Expr> Items, bool IsTuple) : Expr(Offset);

internal sealed record DictExpr(int Offset, IReadOnlyList<KeyValuePair<Expr, Expr>> Entries) : Expr(Offset);

internal sealed record NameExpr(int Offset, string Name) : Expr(Offset);

internal sealed record AttributeExpr(int Offset, Expr Target, string Attribute) : Expr(Offset);

internal sealed record ItemExpr(int Offset, Expr Target, Expr Index) : Expr(Offset);

internal sealed record SliceExpr(int Offset, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Offset);

internal sealed record CallExpr(int Offset, Expr Callee, Arguments Arguments) : Expr(Offset);

internal sealed record FilterExpr(int Offset, Expr Target, string Name, Arguments Arguments) : Expr(Offset);

internal sealed record TestExpr(int Offset, Expr Target, string Name, bool Negated, Arguments Arguments) : Expr(Offset);

internal sealed record UnaryExpr(int Offset, string Operator, Expr Operand) : Expr(Offset);

internal sealed record BinaryExpr(int Offset, string Operator, Expr Left, Expr Right) : Expr(Offset);

internal sealed record ConditionalExpr(int Offset, Expr Condition, Expr Then, Expr? Else) : Expr(Offset);

internal sealed record Arguments(IReadOnlyList<Expr> Positional, IReadOnlyList<KeyValuePair<string, Expr>> Named)
{
    public static readonly Arguments None = new([], []);
}
