namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>Python semantics of the operators templates use: truthiness, ==, ordering, arithmetic, in,
/// iteration, len, indexing and slicing; each failure raises the error jinja2 would.</summary>
internal static class PyOps
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        PyTuple t => t.Count > 0,
        PyDict d => d.Count > 0,
        _ => true,
    };

    public static bool Equal(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        }
        return (a, b) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (PyTuple x, PyTuple y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (PyDict x, PyDict y) => x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && Equal(kv.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>Python's ordering (&lt;, &gt; …): numbers, strings by code point, lists and tuples element-wise.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        }
        switch (a, b)
        {
            case (string x, string y):
                return string.CompareOrdinal(x, y);
            case (List<object?> x, List<object?> y):
                return CompareSequences(x, y, op);
            case (PyTuple x, PyTuple y):
                return CompareSequences(x, y, op);
        }
        FailIfUndefined(a, b);
        throw Runtime($"'{op}' not supported between instances of '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
    }

    private static int CompareSequences(IReadOnlyList<object?> x, IReadOnlyList<object?> y, string op)
    {
        for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            if (!Equal(x[i], y[i]))
            {
                return Compare(x[i], y[i], op);
            }
        }
        return x.Count.CompareTo(y.Count);
    }

    public static object? Add(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return a is double || b is double ? ToDouble(a) + ToDouble(b) : (object)checked(ToLong(a) + ToLong(b));
        }
        return (a, b) switch
        {
            (string x, string y) => x + y,
            (List<object?> x, List<object?> y) => x.Concat(y).ToList(),
            (PyTuple x, PyTuple y) => new PyTuple([.. x, .. y]),
            (string, _) => throw UndefinedError(b) ?? Runtime($"can only concatenate str (not \"{PyFormat.TypeName(b)}\") to str"),
            (List<object?>, _) => throw UndefinedError(b) ?? Runtime($"can only concatenate list (not \"{PyFormat.TypeName(b)}\") to list"),
            _ => throw Unsupported("+", a, b),
        };
    }

    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (op == "+")
        {
            return Add(a, b);
        }
        if (op == "*" && (a is string || a is List<object?>) && IsInteger(b) || op == "*" && IsInteger(a) && (b is string || b is List<object?>))
        {
            var (seq, times) = a is string || a is List<object?> ? (a, ToLong(b)) : (b, ToLong(a));
            return seq is string s
                ? string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, times)))
                : Enumerable.Repeat((List<object?>)seq!, (int)Math.Max(0, times)).SelectMany(x => x).ToList();
        }
        if (!IsNumber(a) || !IsNumber(b))
        {
            if (op == "%" && a is string)
            {
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "printf-style string formatting ('...' % value)", feature: "string % formatting");
            }
            throw Unsupported(op, a, b);
        }
        var floating = a is double || b is double || op == "/";
        if (floating)
        {
            double x = ToDouble(a), y = ToDouble(b);
            if (y == 0 && op is "/" or "//" or "%")
            {
                throw Runtime("float division by zero");
            }
            return op switch
            {
                "-" => x - y,
                "*" => x * y,
                "/" => x / y,
                "//" => Math.Floor(x / y),
                "%" => x - y * Math.Floor(x / y),
                "**" => Math.Pow(x, y),
                _ => throw Unsupported(op, a, b),
            };
        }
        long p = ToLong(a), q = ToLong(b);
        if (q == 0 && op is "//" or "%")
        {
            throw Runtime("integer division or modulo by zero");
        }
        return op switch
        {
            "-" => checked(p - q),
            "*" => checked(p * q),
            "//" => FloorDiv(p, q),
            "%" => p - q * FloorDiv(p, q),
            "**" => q < 0 ? Math.Pow(p, q) : (object)checked((long)Math.Pow(p, q)),
            _ => throw Unsupported(op, a, b),
        };
    }

    private static long FloorDiv(long p, long q)
    {
        var d = p / q;
        return (p % q != 0) && ((p < 0) != (q < 0)) ? d - 1 : d;
    }

    public static object? Negate(object? v, bool negative) => v switch
    {
        // Each arm boxes on its own: a switch over long and double arms would widen every result to double.
        bool b => (object)(negative ? -(b ? 1L : 0L) : (b ? 1L : 0L)),
        long l => (object)(negative ? -l : l),
        double d => (object)(negative ? -d : d),
        Undefined u => throw u.Error(),
        _ => throw Runtime($"bad operand type for unary {(negative ? "-" : "+")}: '{PyFormat.TypeName(v)}'"),
    };

    /// <summary>Python's <c>needle in haystack</c>.</summary>
    public static bool Contains(object? haystack, object? needle) => haystack switch
    {
        string s when needle is string n => s.Contains(n, StringComparison.Ordinal),
        string => throw Runtime($"'in <string>' requires string as left operand, not {PyFormat.TypeName(needle)}"),
        PyDict d => needle is not null && d.ContainsKey(needle),
        List<object?> l => l.Any(x => Equal(x, needle)),
        PyTuple t => t.Any(x => Equal(x, needle)),
        JinjaNamespace ns => needle is not null && ns.Attributes.ContainsKey(needle),
        PyGenerator g => g.Drain().Any(x => Equal(x, needle)),
        Undefined => false,
        _ => throw Runtime($"argument of type '{PyFormat.TypeName(haystack)}' is not iterable"),
    };

    /// <summary>Python iteration: lists and tuples by item, strings by character, dicts by key, Undefined as empty.</summary>
    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        PyTuple t => t,
        string s => PyString.Characters(s),
        PyDict d => d.Keys,
        JinjaNamespace ns => ns.Attributes.Keys,
        PyGenerator g => g.Drain(),
        Undefined => [],
        _ => throw Runtime($"'{PyFormat.TypeName(v)}' object is not iterable"),
    };

    public static long Length(object? v) => v switch
    {
        string s => PyString.Length(s),
        List<object?> l => l.Count,
        PyTuple t => t.Count,
        PyDict d => d.Count,
        Undefined => 0,
        _ => throw Runtime($"object of type '{PyFormat.TypeName(v)}' has no len()"),
    };

    /// <summary>seq[index] with Python's negative indices; Undefined when out of range, as jinja2's sandbox returns.</summary>
    public static object? Index(object? owner, long index)
    {
        switch (owner)
        {
            case string s:
                var points = PyString.CodePoints(s);
                var i = index < 0 ? index + points.Length : index;
                return i >= 0 && i < points.Length ? char.ConvertFromUtf32(points[i]) : Undefined.Item(owner, index);
            case IReadOnlyList<object?> list:
                var j = index < 0 ? index + list.Count : index;
                return j >= 0 && j < list.Count ? list[(int)j] : Undefined.Item(owner, index);
            default:
                return Undefined.Item(owner, index);
        }
    }

    /// <summary>seq[start:stop:step] for strings, lists and tuples.</summary>
    public static object? Slice(object? owner, object? start, object? stop, object? step)
    {
        var stepValue = step is null ? 1 : ToIndex(step);
        if (stepValue == 0)
        {
            throw Runtime("slice step cannot be zero");
        }
        IReadOnlyList<int> Indices(int length)
        {
            long Bound(object? v, long whenNone)
            {
                if (v is null)
                {
                    return whenNone;
                }
                var x = ToIndex(v);
                if (x < 0)
                {
                    x += length;
                }
                return stepValue > 0 ? Math.Clamp(x, 0, length) : Math.Clamp(x, -1, length - 1);
            }
            var from = Bound(start, stepValue > 0 ? 0 : length - 1);
            var to = Bound(stop, stepValue > 0 ? length : -1);
            var result = new List<int>();
            for (var k = from; stepValue > 0 ? k < to : k > to; k += stepValue)
            {
                result.Add((int)k);
            }
            return result;
        }
        switch (owner)
        {
            case string s:
                var points = PyString.CodePoints(s);
                return PyString.FromCodePoints(Indices(points.Length).Select(i => points[i]));
            case List<object?> list:
                return Indices(list.Count).Select(i => list[i]).ToList();
            case PyTuple tuple:
                return new PyTuple([.. Indices(tuple.Count).Select(i => tuple[i])]);
            case Undefined u:
                throw u.Error();
            default:
                throw Runtime($"'{PyFormat.TypeName(owner)}' object is not subscriptable");
        }
    }

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool IsInteger(object? v) => v is long or bool;

    public static long ToLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw Runtime($"'{PyFormat.TypeName(v)}' object cannot be interpreted as an integer"),
    };

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => d,
        _ => throw Runtime($"must be real number, not {PyFormat.TypeName(v)}"),
    };

    private static long ToIndex(object? v) => IsInteger(v) ? ToLong(v)
        : v is Undefined u ? throw u.Error()
        : throw Runtime("slice indices must be integers or None");

    public static ChatTemplateException Runtime(string message) => new(ChatTemplateErrorKind.Runtime, message);

    private static void FailIfUndefined(object? a, object? b)
    {
        if (UndefinedError(a) is { } ea)
        {
            throw ea;
        }
        if (UndefinedError(b) is { } eb)
        {
            throw eb;
        }
    }

    private static ChatTemplateException? UndefinedError(object? v) => v is Undefined u ? u.Error() : null;

    private static ChatTemplateException Unsupported(string op, object? a, object? b)
    {
        FailIfUndefined(a, b);
        return Runtime($"unsupported operand type(s) for {op}: '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
    }
}
