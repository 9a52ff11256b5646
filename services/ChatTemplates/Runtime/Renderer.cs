using System.Text;
using Platform.ChatTemplates.Syntax;

namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// Executes a parsed template for one render. All mutable state (variables, namespaces, output) lives here,
/// never in the tree, which is why a <see cref="ChatTemplate"/> can render concurrently.
/// </summary>
internal sealed partial class Renderer
{
    private readonly IReadOnlyDictionary<string, object?> _context;
    private readonly Dictionary<string, object?> _globals;
    private readonly Scope _root = new(null);

    public Renderer(IReadOnlyDictionary<string, object?> context, TimeProvider time)
    {
        _context = context;
        _globals = Globals.Create(time);
    }

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(IReadOnlyList<Node> nodes)
    {
        var output = new StringBuilder();
        Execute(nodes, _root, output);
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<Node> nodes, Scope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            var flow = ExecuteNode(node, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow ExecuteNode(Node node, Scope scope, StringBuilder output)
    {
        try
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    return Flow.Normal;
                case OutputNode print:
                    output.Append(PyFormat.Str(Eval(print.Value, scope)));
                    return Flow.Normal;
                case IfNode branch:
                    foreach (var candidate in branch.Branches)
                    {
                        if (Values.IsTruthy(Eval(candidate.Condition, scope)))
                        {
                            return Execute(candidate.Body, scope, output);
                        }
                    }

                    return Execute(branch.Else, scope, output);
                case ForNode loop:
                    return ExecuteFor(loop, scope, output);
                case SetNode set:
                    ExecuteSet(set, scope);
                    return Flow.Normal;
                case SetBlockNode block:
                    var captured = new StringBuilder();
                    Execute(block.Body, scope, captured);
                    scope.Set(block.Target, captured.ToString());
                    return Flow.Normal;
                case FilterBlockNode filtered:
                    var body = new StringBuilder();
                    Execute(filtered.Body, scope, body);
                    object? value = body.ToString();
                    foreach (var filter in filtered.Filters)
                    {
                        value = Filters.Apply(filter.Name, value, EvalArguments(filter.Arguments, scope));
                    }

                    output.Append(PyFormat.Str(value));
                    return Flow.Normal;
                case MacroNode macro:
                    scope.Set(macro.Name, new Macro(macro));
                    return Flow.Normal;
                case LoopControlNode control:
                    return control.IsBreak ? Flow.Break : Flow.Continue;
                default:
                    throw new TemplateFault($"unsupported node {node.GetType().Name}");
            }
        }
        catch (TemplateFault fault) when (fault.Offset is null)
        {
            fault.Offset = node.Offset;
            throw;
        }
    }

    private Flow ExecuteFor(ForNode loop, Scope scope, StringBuilder output)
    {
        var source = Values.Iterate(Eval(loop.Iterable, scope));
        var loopScope = new Scope(scope);
        var items = source;
        if (loop.Filter is not null)
        {
            // Jinja filters before iterating, so loop.length and loop.last count only the kept items.
            items = source.Where(item =>
            {
                Bind(loopScope, loop.Targets, item);
                return Values.IsTruthy(Eval(loop.Filter, loopScope));
            }).ToList();
        }

        if (items.Count == 0)
        {
            return Execute(loop.Else, scope, output);
        }

        for (var i = 0; i < items.Count; i++)
        {
            Bind(loopScope, loop.Targets, items[i]);
            loopScope.Set("loop", new LoopContext(items, i));
            if (Execute(loop.Body, loopScope, output) == Flow.Break)
            {
                break;
            }
        }

        return Flow.Normal;
    }

    private void ExecuteSet(SetNode set, Scope scope)
    {
        var value = Eval(set.Value, scope);
        if (set.Attribute is null)
        {
            Bind(scope, set.Targets, value);
            return;
        }

        if (Lookup(set.Targets[0], scope) is not Namespace ns)
        {
            throw new TemplateFault($"cannot assign attribute '{set.Attribute}' on '{set.Targets[0]}': only namespace() objects are assignable");
        }

        ns.Attributes[set.Attribute] = value;
    }

    private static void Bind(Scope scope, IReadOnlyList<string> targets, object? value)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], value);
            return;
        }

        var parts = Values.Iterate(value);
        if (parts.Count != targets.Count)
        {
            throw new TemplateFault(parts.Count < targets.Count
                ? $"not enough values to unpack (expected {targets.Count}, got {parts.Count})"
                : $"too many values to unpack (expected {targets.Count})");
        }

        for (var i = 0; i < targets.Count; i++)
        {
            scope.Set(targets[i], parts[i]);
        }
    }

    private object? Lookup(string name, Scope scope)
    {
        if (scope.TryGet(name, out var value) || _context.TryGetValue(name, out value) || _globals.TryGetValue(name, out value))
        {
            return value;
        }

        return new Undefined(name);
    }
}
