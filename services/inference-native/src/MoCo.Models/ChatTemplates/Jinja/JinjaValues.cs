using System.Collections;
using System.Text.Json;

namespace MoCo.Models.ChatTemplates.Jinja;

// The value model of the interpreter mirrors the Python objects jinja2 sees when transformers renders a chat
// template: None (null), bool, int (long), float (double), str (string), list (List<object?>), tuple
// (PyTuple), dict (PyDict, insertion-ordered), plus jinja2's own Undefined, Namespace and callables.

/// <summary>jinja2's default Undefined: prints as "", is falsy and iterates as empty, but fails when an
/// attribute, item or call is taken from it or when it enters arithmetic, with jinja2's message.</summary>
internal sealed class Undefined(string message)
{
    /// <summary>The error jinja2 raises when this value is used in a way Undefined forbids.</summary>
    public string Message { get; } = message;

    public static Undefined Name(string name) => new($"'{name}' is undefined");

    public static Undefined Attribute(object? owner, string name) => new($"'{PyFormat.TypeName(owner)} object' has no attribute '{name}'");

    public static Undefined Item(object? owner, object? key) => new($"{PyFormat.TypeName(owner)} object has no element {PyFormat.Repr(key)}");

    public ChatTemplateException Error() => new(ChatTemplateErrorKind.Runtime, Message);
}

/// <summary>A Python tuple: immutable, printed with parentheses, iterable like a list.</summary>
internal sealed class PyTuple(IReadOnlyList<object?> items) : IReadOnlyList<object?>
{
    public IReadOnlyList<object?> Items { get; } = items;

    public int Count => Items.Count;

    public object? this[int index] => Items[index];

    public IEnumerator<object?> GetEnumerator() => Items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A Python dict: keys compare as Python compares them (1 == 1.0 == True), insertion order kept.</summary>
internal sealed class PyDict() : OrderedDictionary<object, object?>(PyKeyComparer.Instance);

/// <summary>Python equality and hashing for dict keys.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => PyOps.Equal(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        string s => string.GetHashCode(s, StringComparison.Ordinal),
        bool b => (b ? 1.0 : 0.0).GetHashCode(),
        long l => ((double)l).GetHashCode(),
        double d => d.GetHashCode(),
        PyTuple t => t.Items.Aggregate(17, (h, v) => h * 31 + (v is null ? 0 : GetHashCode(v))),
        _ => obj.GetHashCode(),
    };
}

/// <summary>jinja2's namespace(): the one object a template may change after creation, so a value set inside
/// a loop survives the loop (jinja2 scopes plain <c>set</c> to the loop body).</summary>
internal sealed class JinjaNamespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>Anything a template can call: globals, macros, bound methods, loop.cycle.</summary>
internal interface IJinjaCallable
{
    object? Call(JinjaArguments arguments);
}

/// <summary>Positional and keyword arguments of one call, with Python-style binding helpers.</summary>
internal sealed class JinjaArguments(IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> keywords, string callee)
{
    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyDictionary<string, object?> Keywords { get; } = keywords;

    public string Callee { get; } = callee;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null) =>
        index < Positional.Count ? Positional[index] : Keywords.TryGetValue(name, out var v) ? v : fallback;

    public bool Has(int index, string name) => index < Positional.Count || Keywords.ContainsKey(name);

    /// <summary>Fails like Python when more positional arguments or unknown keywords are given than <paramref name="names"/>.</summary>
    public JinjaArguments Expect(params string[] names)
    {
        if (Positional.Count > names.Length)
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Runtime, $"{Callee}() takes at most {names.Length} arguments ({Positional.Count} given)");
        }
        foreach (var key in Keywords.Keys)
        {
            if (Array.IndexOf(names, key) < 0)
            {
                throw new ChatTemplateException(ChatTemplateErrorKind.Runtime, $"{Callee}() got an unexpected keyword argument '{key}'");
            }
        }
        return this;
    }
}

/// <summary>A host function exposed to templates (range, namespace, raise_exception, strftime_now, …).</summary>
internal sealed class JinjaFunction(string name, Func<JinjaArguments, object?> body) : IJinjaCallable
{
    public string Name { get; } = name;

    public object? Call(JinjaArguments arguments) => body(arguments);
}

/// <summary>Converts host values (JSON, dictionaries, lists, numbers) into the interpreter's value model.</summary>
internal static class JinjaValue
{
    public static object? From(object? value) => value switch
    {
        null => null,
        string or bool or long or double or PyDict or PyTuple or Undefined or JinjaNamespace or IJinjaCallable => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> d => Dict(d.Select(kv => new KeyValuePair<object, object?>(kv.Key, From(kv.Value)))),
        IDictionary<string, object?> d => Dict(d.Select(kv => new KeyValuePair<object, object?>(kv.Key, From(kv.Value)))),
        IEnumerable list => list.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"a {value.GetType().Name} cannot be passed to a chat template; pass JSON-like values", nameof(value)),
    };

    public static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => Dict(element.EnumerateObject().Select(p => new KeyValuePair<object, object?>(p.Name, FromJson(p.Value)))),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        // Python's json module makes a number an int unless it has a fraction or an exponent.
        JsonValueKind.Number => element.GetRawText().AsSpan().IndexOfAny(".eE") < 0 && element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static PyDict Dict(IEnumerable<KeyValuePair<object, object?>> pairs)
    {
        var dict = new PyDict();
        foreach (var (k, v) in pairs)
        {
            dict[k] = v;
        }
        return dict;
    }
}

/// <summary>A Python generator, which filters such as map, select and selectattr return: iterable once, always
/// truthy, with no len() and no indexing — so "|selectattr(...)|length" fails as it does in jinja2.</summary>
internal sealed class PyGenerator(IEnumerable<object?> items, string name)
{
    private IEnumerable<object?>? _items = items;

    public string Name { get; } = name;

    /// <summary>The remaining items; a second pass finds the generator exhausted, as in Python.</summary>
    public IEnumerable<object?> Drain()
    {
        var items = _items ?? [];
        _items = null;
        return items;
    }
}
