namespace Platform.ChatTemplates.Runtime;

/// <summary>Arithmetic with Python semantics: int stays int except for <c>/</c>, floor division and modulo round toward negative infinity.</summary>
internal static class Operators
{
    public static object? Binary(string op, object? left, object? right)
    {
        if (op == "~")
        {
            return PyFormat.Str(left) + PyFormat.Str(right);
        }

        if ((Values.Undefinedness(left) ?? Values.Undefinedness(right)) is { } undefined)
        {
            throw undefined;
        }

        switch (op, left, right)
        {
            case ("+", string a, string b): return a + b;
            case ("+", IReadOnlyList<object?> a, IReadOnlyList<object?> b): return a.Concat(b).ToList();
            case ("*", string a, long n): return string.Concat(Enumerable.Repeat(a, (int)Math.Max(0, n)));
            case ("*", long n, string a): return string.Concat(Enumerable.Repeat(a, (int)Math.Max(0, n)));
            case ("*", IReadOnlyList<object?> a, long n): return Enumerable.Repeat(a, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
        }

        if (!Values.IsNumber(left) || !Values.IsNumber(right))
        {
            throw new TemplateFault($"unsupported operand type(s) for {op}: '{Values.TypeName(left)}' and '{Values.TypeName(right)}'");
        }

        return left is double || right is double || op is "/"
            ? Float(op, Values.ToDouble(left), Values.ToDouble(right))
            : Integer(op, Values.ToLong(left), Values.ToLong(right));
    }

    public static object? Unary(string op, object? operand)
    {
        if (Values.Undefinedness(operand) is { } undefined)
        {
            throw undefined;
        }

        return (op, operand) switch
        {
            ("-", double d) => -d,
            ("-", long or bool) => -Values.ToLong(operand),
            ("+", double or long) => operand,
            ("+", bool) => Values.ToLong(operand),
            _ => throw new TemplateFault($"bad operand type for unary {op}: '{Values.TypeName(operand)}'"),
        };
    }

    private static object Integer(string op, long a, long b)
    {
        if (b == 0 && op is "//" or "%")
        {
            throw new TemplateFault("integer division or modulo by zero");
        }

        return op switch
        {
            // Boxed arms: otherwise the switch's natural type would be double and every int result a float.
            "+" => (object)(a + b),
            "-" => a - b,
            "*" => a * b,
            "//" => FloorDiv(a, b),
            "%" => a - (b * FloorDiv(a, b)),
            "**" when b >= 0 => (long)Math.Pow(a, b),
            "**" => (object)Math.Pow(a, b),
            _ => throw new TemplateFault($"unknown operator '{op}'"),
        };
    }

    private static double Float(string op, double a, double b)
    {
        if (b == 0 && op is "/" or "//" or "%")
        {
            throw new TemplateFault("float division by zero");
        }

        return op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => a / b,
            "//" => Math.Floor(a / b),
            "%" => a - (b * Math.Floor(a / b)),
            "**" => Math.Pow(a, b),
            _ => throw new TemplateFault($"unknown operator '{op}'"),
        };
    }

    private static long FloorDiv(long a, long b)
    {
        var quotient = a / b;
        return (a % b != 0) && ((a < 0) ^ (b < 0)) ? quotient - 1 : quotient;
    }
}
