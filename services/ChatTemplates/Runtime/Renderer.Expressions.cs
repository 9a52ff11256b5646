using System.Text;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Runtime;

internal sealed partial class Renderer
{
    private const int MaxMacroDepth = 64;
    private int _macroDepth;

    private object? Eval(Expr expr, Scope scope)
    {
        try
        {
            return expr switch
            {
                LiteralExpr literal => literal.Value,
                NameExpr name => Lookup(name.Name, scope),
                ListExpr list => list.Items.Select(item => Eval(item, scope)).ToList(),
                DictExpr dict => EvalDict(dict, scope),
                AttributeExpr attribute => Access.Attribute(Eval(attribute.Target, scope), attribute.Attribute),
                ItemExpr item => Access.Item(Eval(item.Target, scope), Eval(item.Index, scope)),
                SliceExpr slice => Access.Slice(
                    Eval(slice.Target, scope), EvalOptional(slice.Start, scope), EvalOptional(slice.Stop, scope), EvalOptional(slice.Step, scope)),
                CallExpr call => EvalCall(call, scope),
                FilterExpr filter => Filters.Apply(filter.Name, Eval(filter.Target, scope), EvalArguments(filter.Arguments, scope)),
                TestExpr test => Predicates.Test(test.Name, Eval(test.Target, scope), EvalArguments(test.Arguments, scope)) != test.Negated,
                UnaryExpr { Operator: "not" } not => !Values.IsTruthy(Eval(not.Operand, scope)),
                UnaryExpr unary => Operators.Unary(unary.Operator, Eval(unary.Operand, scope)),
                BinaryExpr binary => EvalBinary(binary, scope),
                ConditionalExpr conditional => Values.IsTruthy(Eval(conditional.Condition, scope))
                    ? Eval(conditional.Then, scope)
                    : conditional.Else is null ? new Undefined("else") : Eval(conditional.Else, scope),
                _ => throw new TemplateFault($"unsupported expression {expr.GetType().Name}"),
            };
        }
        catch (TemplateFault fault) when (fault.Offset is null)
        {
            fault.Offset = expr.Offset;
            throw;
        }
    }

    private object? EvalOptional(Expr? expr, Scope scope) => expr is null ? null : Eval(expr, scope);

    private Dictionary<string, object?> EvalDict(DictExpr dict, Scope scope)
    {
        var result = new Dictionary<string, object?>(dict.Entries.Count, StringComparer.Ordinal);
        foreach (var (key, value) in dict.Entries)
        {
            result[PyFormat.Str(Eval(key, scope))] = Eval(value, scope);
        }

        return result;
    }

    private object? EvalBinary(BinaryExpr binary, Scope scope)
    {
        var left = Eval(binary.Left, scope);
        switch (binary.Operator)
        {
            case "and":
                return Values.IsTruthy(left) ? Eval(binary.Right, scope) : left;
            case "or":
                return Values.IsTruthy(left) ? left : Eval(binary.Right, scope);
        }

        var right = Eval(binary.Right, scope);
        return binary.Operator switch
        {
            "==" => Values.AreEqual(left, right),
            "!=" => !Values.AreEqual(left, right),
            "<" => Values.Compare(left, right, "<") < 0,
            "<=" => Values.Compare(left, right, "<=") <= 0,
            ">" => Values.Compare(left, right, ">") > 0,
            ">=" => Values.Compare(left, right, ">=") >= 0,
            "in" => Values.Contains(right, left),
            "not in" => !Values.Contains(right, left),
            _ => Operators.Binary(binary.Operator, left, right),
        };
    }

    private CallArgs EvalArguments(Arguments arguments, Scope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0)
        {
            return CallArgs.Empty;
        }

        var positional = arguments.Positional.Select(a => Eval(a, scope)).ToList();
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Named)
        {
            named[name] = Eval(value, scope);
        }

        return new CallArgs(positional, named);
    }

    private object? EvalCall(CallExpr call, Scope scope)
    {
        object? callee;
        if (call.Callee is AttributeExpr attribute)
        {
            var target = Eval(attribute.Target, scope);
            var methodArgs = EvalArguments(call.Arguments, scope);
            if (Methods.TryCall(target, attribute.Attribute, methodArgs, out var result))
            {
                return result;
            }

            callee = Access.Attribute(target, attribute.Attribute);
            return Invoke(callee, methodArgs);
        }

        callee = Eval(call.Callee, scope);
        return Invoke(callee, EvalArguments(call.Arguments, scope));
    }

    private object? Invoke(object? callee, CallArgs args) => callee switch
    {
        Callable function => function.Invoke(args),
        Macro macro => CallMacro(macro, args),
        Undefined u => throw new TemplateFault($"'{u.Name}' is undefined and cannot be called"),
        _ => throw new TemplateFault($"'{Values.TypeName(callee)}' object is not callable"),
    };

    private string CallMacro(Macro macro, CallArgs args)
    {
        var definition = macro.Definition;
        if (args.Positional.Count > definition.Parameters.Count)
        {
            throw new TemplateFault($"macro '{definition.Name}' takes {definition.Parameters.Count} arguments, got {args.Positional.Count}");
        }

        var unknown = args.Named.Keys.FirstOrDefault(k => definition.Parameters.All(p => p.Name != k));
        if (unknown is not null)
        {
            throw new TemplateFault($"macro '{definition.Name}' has no parameter '{unknown}'");
        }

        if (++_macroDepth > MaxMacroDepth)
        {
            throw new TemplateFault($"macro recursion deeper than {MaxMacroDepth}");
        }

        try
        {
            var macroScope = new Scope(_root);
            for (var i = 0; i < definition.Parameters.Count; i++)
            {
                var parameter = definition.Parameters[i];
                macroScope.Set(parameter.Name,
                    i < args.Positional.Count ? args.Positional[i]
                    : args.Named.TryGetValue(parameter.Name, out var named) ? named
                    : parameter.Default is null ? new Undefined(parameter.Name) : Eval(parameter.Default, macroScope));
            }

            var output = new StringBuilder();
            Execute(definition.Body, macroScope, output);
            return output.ToString();
        }
        finally
        {
            _macroDepth--;
        }
    }
}
