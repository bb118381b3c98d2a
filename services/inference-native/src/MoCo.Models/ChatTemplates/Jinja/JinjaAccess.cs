namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// obj.name and obj[key] as jinja2's sandboxed environment resolves them: attribute first then item for
/// <c>.</c>, item first then attribute for <c>[]</c>; a missing one is Undefined, a name starting with "_" is
/// never exposed, and methods that would mutate a list or dict are refused (ImmutableSandboxedEnvironment).
/// </summary>
internal static class JinjaAccess
{
    private static readonly HashSet<string> StringMethods =
    [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower", "replace",
        "title", "capitalize", "find", "rfind", "count", "join", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
        "format", "encode", "index", "rindex", "casefold", "center", "ljust", "rjust", "zfill", "partition", "rpartition",
        "swapcase", "expandtabs", "isnumeric", "isdecimal", "istitle", "isidentifier", "isprintable", "removeprefix", "removesuffix",
    ];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy", "pop", "popitem", "update", "setdefault", "clear", "fromkeys"];

    private static readonly HashSet<string> ListMethods = ["index", "count", "copy", "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"];

    /// <summary>Methods ImmutableSandboxedEnvironment refuses because they change the object.</summary>
    private static readonly HashSet<string> Mutating = ["append", "extend", "insert", "pop", "popitem", "remove", "reverse", "sort", "clear", "update", "setdefault"];

    public static object? GetAttribute(object? owner, string name)
    {
        if (owner is Undefined u)
        {
            throw u.Error();
        }
        if (name.StartsWith('_'))
        {
            return Undefined.Attribute(owner, name);
        }
        switch (owner)
        {
            case PyDict dict:
                return DictMethods.Contains(name) ? new BoundMethod(dict, name)
                    : dict.TryGetValue(name, out var value) ? value : Undefined.Attribute(owner, name);
            case string s when StringMethods.Contains(name):
                return new BoundMethod(s, name);
            case List<object?> list when ListMethods.Contains(name):
                return new BoundMethod(list, name);
            case PyTuple tuple when name is "index" or "count":
                return new BoundMethod(tuple, name);
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : Undefined.Attribute(owner, name);
            case LoopContext loop:
                return loop.Attribute(name);
            default:
                return Undefined.Attribute(owner, name);
        }
    }

    public static object? GetItem(object? owner, object? key)
    {
        if (owner is Undefined u)
        {
            throw u.Error();
        }
        switch (owner)
        {
            case PyDict dict:
                if (key is List<object?> or PyDict)
                {
                    throw PyOps.Runtime($"unhashable type: '{PyFormat.TypeName(key)}'");
                }
                if (key is not null && dict.TryGetValue(key, out var value))
                {
                    return value;
                }
                return key is string attribute ? GetAttribute(owner, attribute) : Undefined.Item(owner, key);
            case string or List<object?> or PyTuple when PyOps.IsInteger(key):
                return PyOps.Index(owner, PyOps.ToLong(key));
            default:
                return key is string name ? GetAttribute(owner, name) : Undefined.Item(owner, key);
        }
    }

    /// <summary>A method taken from a value (<c>content.strip</c>), called later with its arguments.</summary>
    private sealed class BoundMethod(object receiver, string name) : IJinjaCallable
    {
        public object? Call(JinjaArguments arguments)
        {
            if (Mutating.Contains(name) || (name == "pop" && receiver is PyDict))
            {
                throw PyOps.Runtime($"access to attribute '{name}' of '{PyFormat.TypeName(receiver)}' object is unsafe.");
            }
            return receiver switch
            {
                string s => PyMethods.String(s, name, arguments),
                PyDict d => PyMethods.Dict(d, name, arguments),
                IReadOnlyList<object?> l => PyMethods.Sequence(l, name, arguments),
                _ => throw PyOps.Runtime($"'{PyFormat.TypeName(receiver)}' object has no attribute '{name}'"),
            };
        }
    }
}
