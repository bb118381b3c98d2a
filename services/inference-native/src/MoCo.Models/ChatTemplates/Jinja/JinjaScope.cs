namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// Variables visible at one point of a render. jinja2 gives every for-loop iteration and every macro call a
/// scope of its own: a <c>set</c> inside a loop body is gone in the next iteration and after the loop (hence
/// namespace()), while <c>if</c> blocks share the enclosing scope.
/// </summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public JinjaScope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out value))
            {
                return true;
            }
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}

/// <summary>The <c>loop</c> variable of a for loop: index, index0, revindex, revindex0, first, last, length,
/// previtem, nextitem, depth, depth0, cycle() and changed().</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    private object? _lastChanged = new();

    public int Index0 { get; set; }

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new JinjaFunction("loop.cycle", a => a.Positional.Count == 0
            ? throw PyOps.Runtime("no items for cycling given")
            : a.Positional[Index0 % a.Positional.Count]),
        "changed" => new JinjaFunction("loop.changed", a =>
        {
            var value = new PyTuple(a.Positional);
            if (PyOps.Equal(value, _lastChanged))
            {
                return false;
            }
            _lastChanged = value;
            return true;
        }),
        _ => Undefined.Attribute(this, name),
    };
}
