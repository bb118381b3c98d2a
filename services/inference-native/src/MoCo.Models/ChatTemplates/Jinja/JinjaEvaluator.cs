using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// Renders a parsed template against a scope: statements write to the output, expressions evaluate with the
/// Python semantics of <see cref="PyOps"/>. The line of the node being evaluated is kept so any error can
/// name it.
/// </summary>
internal sealed class JinjaEvaluator(string templateName)
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private int _line;

    public string Render(IReadOnlyList<Node> body, JinjaScope scope)
    {
        var output = new StringBuilder();
        try
        {
            if (Execute(body, scope, output) != Flow.Normal)
            {
                throw PyOps.Runtime("break or continue outside a for loop");
            }
        }
        catch (ChatTemplateException e)
        {
            throw e.At(templateName, _line);
        }
        catch (OverflowException)
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "integers beyond 64 bits", _line, "big integers", templateName);
        }
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<Node> body, JinjaScope scope, StringBuilder output)
    {
        foreach (var node in body)
        {
            _line = node.Line;
            var flow = Execute(node, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }
        return Flow.Normal;
    }

    private Flow Execute(Node node, JinjaScope scope, StringBuilder output)
    {
        switch (node)
        {
            case DataNode data:
                output.Append(data.Text);
                return Flow.Normal;
            case PrintNode print:
                output.Append(PyFormat.Str(Evaluate(print.Value, scope)));
                return Flow.Normal;
            case IfNode branches:
                foreach (var (test, body) in branches.Branches)
                {
                    _line = test.Line;
                    if (PyOps.Truthy(Evaluate(test, scope)))
                    {
                        return Execute(body, scope, output);
                    }
                }
                return Execute(branches.Else, scope, output);
            case ForNode loop:
                ExecuteFor(loop, scope, output);
                return Flow.Normal;
            case SetNode set:
                Assign(set.Target, Evaluate(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode block:
                var captured = new StringBuilder();
                Execute(block.Body, scope, captured);
                Assign(block.Target, block.Filter is null ? captured.ToString() : ApplyFilterChain(block.Filter, captured.ToString(), scope), scope);
                return Flow.Normal;
            case MacroNode macro:
                scope.Set(macro.Name, new JinjaMacro(this, macro.Name, macro.Parameters, macro.Body, scope, Caller: null));
                return Flow.Normal;
            case CallBlockNode call:
                var caller = new JinjaMacro(this, "caller", call.Parameters, call.Body, scope, Caller: null);
                var callee = Evaluate(call.Call.Callee, scope);
                if (callee is not JinjaMacro target)
                {
                    throw PyOps.Runtime("{% call %} needs a macro");
                }
                output.Append(PyFormat.Str((target with { Caller = caller }).Call(Arguments(call.Call, scope, target.Name))));
                return Flow.Normal;
            case LoopControlNode control:
                return control.IsBreak ? Flow.Break : Flow.Continue;
            case GenerationNode generation:
                // transformers compiles the block to a call block, so its body runs in a scope of its own.
                return Execute(generation.Body, new JinjaScope(scope), output);
            default:
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the statement {node.GetType().Name}", node.Line, node.GetType().Name, templateName);
        }
    }

    private void ExecuteFor(ForNode loop, JinjaScope scope, StringBuilder output)
    {
        var source = Evaluate(loop.Iterable, scope);
        if (source is null)
        {
            throw PyOps.Runtime("'NoneType' object is not iterable");
        }
        var items = PyOps.Iterate(source).ToList();
        if (loop.Filter is not null)
        {
            // jinja2 evaluates the "for … if" condition with the target bound but without "loop".
            items = [.. items.Where(item =>
            {
                var probe = new JinjaScope(scope);
                Assign(loop.Target, item, probe);
                return PyOps.Truthy(Evaluate(loop.Filter, probe));
            })];
        }
        if (items.Count == 0)
        {
            Execute(loop.Else, scope, output);
            return;
        }
        var context = new LoopContext(items);
        for (var i = 0; i < items.Count; i++)
        {
            context.Index0 = i;
            var iteration = new JinjaScope(scope);
            iteration.Set("loop", context);
            Assign(loop.Target, items[i], iteration);
            if (Execute(loop.Body, iteration, output) == Flow.Break)
            {
                break;
            }
        }
    }

    private static void Assign(AssignTarget target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                return;
            case NamespaceTarget ns:
                if (!scope.TryGet(ns.Name, out var owner) || owner is not JinjaNamespace jns)
                {
                    throw PyOps.Runtime($"cannot assign attribute on non-namespace object '{ns.Name}'");
                }
                jns.Attributes[ns.Attribute] = value;
                return;
            case TupleTarget tuple:
                var items = PyOps.Iterate(value).ToList();
                if (items.Count != tuple.Items.Count)
                {
                    throw PyOps.Runtime(items.Count > tuple.Items.Count
                        ? $"too many values to unpack (expected {tuple.Items.Count})"
                        : $"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})");
                }
                for (var i = 0; i < items.Count; i++)
                {
                    Assign(tuple.Items[i], items[i], scope);
                }
                return;
        }
    }

    public object? Evaluate(Expr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var value) ? value : Undefined.Name(n.Name);
            case ListExpr list:
                return list.Items.Select(i => Evaluate(i, scope)).ToList();
            case TupleExpr tuple:
                return new PyTuple([.. tuple.Items.Select(i => Evaluate(i, scope))]);
            case DictExpr dict:
                var result = new PyDict();
                foreach (var (k, v) in dict.Items)
                {
                    var key = Evaluate(k, scope);
                    if (key is null or List<object?> or PyDict or Undefined)
                    {
                        throw PyOps.Runtime($"unhashable or unsupported dict key of type '{PyFormat.TypeName(key)}'");
                    }
                    result[key] = Evaluate(v, scope);
                }
                return result;
            case GetAttrExpr attr:
                return JinjaAccess.GetAttribute(Evaluate(attr.Owner, scope), attr.Name);
            case GetItemExpr item when item.Key is SliceExpr slice:
                return PyOps.Slice(Evaluate(item.Owner, scope), Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
            case GetItemExpr item:
                return JinjaAccess.GetItem(Evaluate(item.Owner, scope), Evaluate(item.Key, scope));
            case CallExpr call:
                var callee = Evaluate(call.Callee, scope);
                return callee switch
                {
                    IJinjaCallable callable => callable.Call(Arguments(call, scope, Describe(call.Callee))),
                    Undefined u => throw u.Error(),
                    _ => throw PyOps.Runtime($"'{PyFormat.TypeName(callee)}' object is not callable"),
                };
            case FilterExpr filter:
                return ApplyFilter(filter, Evaluate(filter.Value!, scope), scope);
            case TestExpr test:
                return JinjaTests.Run(test.Name, Evaluate(test.Value, scope), [.. test.Arguments.Select(a => Evaluate(a, scope))]);
            case UnaryExpr unary:
                var operand = Evaluate(unary.Operand, scope);
                return unary.Operator == "not" ? !PyOps.Truthy(operand) : PyOps.Negate(operand, unary.Operator == "-");
            case BinaryExpr { Operator: "and" } and:
                var left = Evaluate(and.Left, scope);
                return PyOps.Truthy(left) ? Evaluate(and.Right, scope) : left;
            case BinaryExpr { Operator: "or" } or:
                var first = Evaluate(or.Left, scope);
                return PyOps.Truthy(first) ? first : Evaluate(or.Right, scope);
            case BinaryExpr binary:
                return PyOps.Arithmetic(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case CompareExpr compare:
                var current = Evaluate(compare.First, scope);
                foreach (var (op, operandExpr) in compare.Rest)
                {
                    var next = Evaluate(operandExpr, scope);
                    var holds = op switch
                    {
                        "==" => PyOps.Equal(current, next),
                        "!=" => !PyOps.Equal(current, next),
                        "in" => PyOps.Contains(next, current),
                        "not in" => !PyOps.Contains(next, current),
                        _ => CompareHolds(op, PyOps.Compare(current, next, op)),
                    };
                    if (!holds)
                    {
                        return false;
                    }
                    current = next;
                }
                return true;
            case ConcatExpr concat:
                return string.Concat(concat.Parts.Select(p => PyFormat.Str(Evaluate(p, scope))));
            case CondExpr cond:
                return PyOps.Truthy(Evaluate(cond.Test, scope)) ? Evaluate(cond.Then, scope)
                    : cond.Else is not null ? Evaluate(cond.Else, scope)
                    : new Undefined($"the inline if-expression on line {cond.Line} evaluated to false and no else section was defined.");
            case SliceExpr:
                throw PyOps.Runtime("a slice outside a subscript");
            default:
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the expression {expr.GetType().Name}", expr.Line, expr.GetType().Name, templateName);
        }
    }

    private static bool CompareHolds(string op, int order) => op switch
    {
        "<" => order < 0,
        "<=" => order <= 0,
        ">" => order > 0,
        _ => order >= 0,
    };

    private object? Optional(Expr? expr, JinjaScope scope) => expr is null ? null : Evaluate(expr, scope);

    /// <summary>Applies a filter chain whose innermost operand is <paramref name="input"/> (a set block's text).</summary>
    private object? ApplyFilterChain(FilterExpr filter, object? input, JinjaScope scope) =>
        ApplyFilter(filter, filter.Value is FilterExpr inner ? ApplyFilterChain(inner, input, scope) : input, scope);

    private object? ApplyFilter(FilterExpr filter, object? value, JinjaScope scope) =>
        JinjaFilters.Apply(filter.Name, value, new JinjaArguments(
            [.. filter.Arguments.Select(a => Evaluate(a, scope))],
            filter.Keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope)),
            filter.Name));

    private JinjaArguments Arguments(CallExpr call, JinjaScope scope, string callee) => new(
        [.. call.Arguments.Select(a => Evaluate(a, scope))],
        call.Keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope)),
        callee);

    private static string Describe(Expr callee) => callee switch
    {
        NameExpr n => n.Name,
        GetAttrExpr a => a.Name,
        _ => "call",
    };

    /// <summary>A {% macro %} (or the body of a {% call %} block, exposed to the macro as caller()): renders its
    /// body in a fresh scope under the scope it was defined in and returns the text.</summary>
    private sealed record JinjaMacro(JinjaEvaluator Evaluator, string Name, IReadOnlyList<MacroParameter> Parameters,
        IReadOnlyList<Node> Body, JinjaScope Definition, JinjaMacro? Caller) : IJinjaCallable
    {
        public object? Call(JinjaArguments arguments)
        {
            if (arguments.Positional.Count > Parameters.Count)
            {
                throw PyOps.Runtime($"macro '{Name}' takes not more than {Parameters.Count} argument(s)");
            }
            var scope = new JinjaScope(Definition);
            for (var i = 0; i < Parameters.Count; i++)
            {
                var parameter = Parameters[i];
                scope.Set(parameter.Name, i < arguments.Positional.Count ? arguments.Positional[i]
                    : arguments.Keywords.TryGetValue(parameter.Name, out var named) ? named
                    : parameter.Default is not null ? Evaluator.Evaluate(parameter.Default, scope)
                    : Undefined.Name(parameter.Name));
            }
            foreach (var key in arguments.Keywords.Keys.Where(k => Parameters.All(p => p.Name != k)))
            {
                throw PyOps.Runtime($"macro '{Name}' takes no keyword argument '{key}'");
            }
            if (Caller is not null)
            {
                scope.Set("caller", Caller);
            }
            var output = new StringBuilder();
            var line = Evaluator._line;
            Evaluator.Execute(Body, scope, output);
            Evaluator._line = line;
            return output.ToString();
        }
    }
}
