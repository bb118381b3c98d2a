namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>
/// The filters real chat templates use, as jinja2 3.1 defines them (filters.py), plus transformers' own
/// tojson. Every filter stringifies with Python's str(), so Undefined becomes "" and None "None". Filters
/// outside this set fail with an Unsupported error naming the filter.
/// </summary>
internal static class JinjaFilters
{
    public static object? Apply(string name, object? value, JinjaArguments a) => name switch
    {
        "trim" => PyString.Strip(PyFormat.Str(value), a.Expect("chars").Get(0, "chars") as string),
        "length" or "count" => PyOps.Length(value),
        "upper" => PyFormat.Str(value).ToUpperInvariant(),
        "lower" => PyFormat.Str(value).ToLowerInvariant(),
        "capitalize" => PyString.Capitalize(PyFormat.Str(value)),
        "title" => Title(PyFormat.Str(value)),
        "replace" => PyString.Replace(PyFormat.Str(value), PyFormat.Str(a.Get(0, "old")), PyFormat.Str(a.Get(1, "new")),
            a.Get(2, "count") is { } count ? PyOps.ToLong(count) : -1),
        "join" => Join(value, a),
        "list" => PyOps.Iterate(value).ToList(),
        "first" => PyOps.Iterate(value).Take(1).DefaultIfEmpty(new Undefined("No first item, sequence was empty.")).First(),
        "last" => Last(value),
        "default" or "d" => value is Undefined || (PyOps.Truthy(a.Get(1, "boolean", false)) && !PyOps.Truthy(value)) ? a.Get(0, "default_value", "") : value,
        "tojson" => ToJson(value, a),
        "string" => PyFormat.Str(value),
        "safe" => value,
        "escape" or "e" => Escape(PyFormat.Str(value)),
        "int" => ToInt(value, a),
        "float" => ToFloat(value, a),
        "abs" => value switch
        {
            long l => (object)Math.Abs(l),
            double d => (object)Math.Abs(d),
            bool b => (object)(b ? 1L : 0L),
            _ => throw PyOps.Runtime($"bad operand type for abs(): '{PyFormat.TypeName(value)}'"),
        },
        "round" => Round(value, a),
        "items" => value switch
        {
            Undefined => new PyGenerator([], "do_items"),
            PyDict d => new PyGenerator(d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList(), "do_items"),
            _ => throw PyOps.Runtime("Can only get item pairs from a mapping."),
        },
        "map" => Map(value, a),
        "select" => Select(value, a, attribute: false, keep: true),
        "reject" => Select(value, a, attribute: false, keep: false),
        "selectattr" => Select(value, a, attribute: true, keep: true),
        "rejectattr" => Select(value, a, attribute: true, keep: false),
        "unique" => Unique(value, a),
        "indent" => Indent(PyFormat.Str(value), a),
        "reverse" => value is string text ? PyString.FromCodePoints(PyString.CodePoints(text).Reverse()) : PyOps.Iterate(value).Reverse().ToList(),
        "sort" => Sort(value, a),
        "sum" => Sum(value, a),
        "min" or "max" => MinMax(name, value, a),
        "attr" => JinjaAccess.GetAttribute(value, PyFormat.Str(a.Get(0, "name"))),
        _ => throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the filter '{name}'", feature: $"|{name}"),
    };

    /// <summary>jinja2's title filter: upper-cases the first letter of every word, words split at -, space, (, {, [ and &lt;.</summary>
    private static string Title(string s)
    {
        var parts = System.Text.RegularExpressions.Regex.Split(s, @"([-\s({\[<]+)");
        return string.Concat(parts.Where(p => p.Length > 0).Select(p => p[..1].ToUpperInvariant() + p[1..].ToLowerInvariant()));
    }

    private static string Join(object? value, JinjaArguments a)
    {
        var items = PyOps.Iterate(value);
        if (a.Get(1, "attribute") is { } attribute)
        {
            items = items.Select(AttributeGetter(attribute, null));
        }
        return string.Join(PyFormat.Str(a.Get(0, "d", "")), items.Select(PyFormat.Str));
    }

    private static object? Last(object? value)
    {
        if (value is PyGenerator)
        {
            throw PyOps.Runtime("'generator' object is not reversible");
        }
        var items = PyOps.Iterate(value).ToList();
        return items.Count > 0 ? items[^1] : new Undefined("No last item, sequence was empty.");
    }

    private static string ToJson(object? value, JinjaArguments a)
    {
        a.Expect("ensure_ascii", "indent", "separators", "sort_keys");
        if (PyOps.Truthy(a.Get(0, "ensure_ascii", false)))
        {
            throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, "tojson(ensure_ascii=true)", feature: "tojson(ensure_ascii=true)");
        }
        var indent = a.Get(1, "indent") switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            var other => throw PyOps.Runtime($"indent must be an int or a string, not {PyFormat.TypeName(other)}"),
        };
        var (itemSeparator, keySeparator) = a.Get(2, "separators") switch
        {
            null => (indent is null ? ", " : ",", ": "),
            IReadOnlyList<object?> pair when pair.Count == 2 && pair[0] is string i && pair[1] is string k => (i, k),
            _ => throw PyOps.Runtime("separators must be a (item_separator, key_separator) pair of strings"),
        };
        return JinjaJson.Dumps(value, indent, itemSeparator, keySeparator, PyOps.Truthy(a.Get(3, "sort_keys", false)));
    }

    private static object? ToInt(object? value, JinjaArguments a)
    {
        var fallback = a.Get(0, "default", 0L);
        var numberBase = (int)PyOps.ToLong(a.Get(1, "base", 10L));
        try
        {
            switch (value)
            {
                case string s:
                    var text = s.Trim().Replace("_", "", StringComparison.Ordinal);
                    if (numberBase == 10 && long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                    {
                        return parsed;
                    }
                    if (numberBase != 10)
                    {
                        return Convert.ToInt64(text, numberBase);
                    }
                    // jinja2's quirk: "42.23"|int gives 42 through float().
                    return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                        ? (long)Math.Truncate(d)
                        : fallback;
                case long or bool or double:
                    return value is double dd && !double.IsFinite(dd) ? fallback : PyOps.ToLong(value);
                default:
                    return fallback;
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return fallback;
        }
    }

    private static object? ToFloat(object? value, JinjaArguments a) => value switch
    {
        long or bool or double => PyOps.ToDouble(value),
        string s when double.TryParse(s.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => a.Get(0, "default", 0.0),
    };

    private static object? Round(object? value, JinjaArguments a)
    {
        var precision = (int)PyOps.ToLong(a.Get(0, "precision", 0L));
        var method = PyFormat.Str(a.Get(1, "method", "common"));
        var x = PyOps.ToDouble(value);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            // Python's round() rounds halves to even; on an int with precision >= 0 it returns the int.
            "common" => value is long or bool && precision >= 0 ? (object)PyOps.ToLong(value) : PyRound.Round(x, precision),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw PyOps.Runtime("method must be common, ceil or floor"),
        };
    }

    /// <summary>jinja2's make_attrgetter: dotted path, each part looked up as an item, digits as indices.</summary>
    private static Func<object?, object?> AttributeGetter(object? attribute, object? fallback)
    {
        var parts = attribute is string s ? s.Split('.') : [PyFormat.Str(attribute)];
        return item =>
        {
            foreach (var part in parts)
            {
                item = JinjaAccess.GetItem(item, part.Length > 0 && part.All(char.IsAsciiDigit) ? long.Parse(part, System.Globalization.CultureInfo.InvariantCulture) : part);
            }
            return fallback is not null && item is Undefined ? fallback : item;
        };
    }

    private static PyGenerator Map(object? value, JinjaArguments a)
    {
        var items = PyOps.Iterate(value).ToList();
        if (a.Keywords.TryGetValue("attribute", out var attribute))
        {
            a.Keywords.TryGetValue("default", out var fallback);
            return new PyGenerator(items.Select(AttributeGetter(attribute, fallback)).ToList(), "sync_do_map");
        }
        if (a.Positional.Count == 0)
        {
            throw PyOps.Runtime("map requires a filter name or attribute=");
        }
        var filter = PyFormat.Str(a.Positional[0]);
        var rest = new JinjaArguments([.. a.Positional.Skip(1)], a.Keywords, filter);
        return new PyGenerator(items.Select(x => Apply(filter, x, rest)).ToList(), "sync_do_map");
    }

    private static PyGenerator Select(object? value, JinjaArguments a, bool attribute, bool keep)
    {
        var offset = attribute ? 1 : 0;
        var transform = attribute
            ? AttributeGetter(a.Positional.Count > 0 ? a.Positional[0] : throw PyOps.Runtime("Missing parameter for attribute name"), null)
            : x => x;
        Func<object?, bool> test = a.Positional.Count > offset
            ? x => JinjaTests.Run(PyFormat.Str(a.Positional[offset]), x, [.. a.Positional.Skip(offset + 1)])
            : PyOps.Truthy;
        var items = value is null ? [] : PyOps.Iterate(value).Where(x => test(transform(x)) == keep).ToList();
        return new PyGenerator(items, "select_or_reject");
    }

    private static PyGenerator Unique(object? value, JinjaArguments a)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var key = a.Get(1, "attribute") is { } attribute ? AttributeGetter(attribute, null) : x => x;
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(value))
        {
            var k = key(item);
            if (!caseSensitive && k is string s)
            {
                k = s.ToLowerInvariant();
            }
            if (!seen.Any(x => PyOps.Equal(x, k)))
            {
                seen.Add(k);
                result.Add(item);
            }
        }
        return new PyGenerator(result, "do_unique");
    }

    private static string Indent(string s, JinjaArguments a)
    {
        var indentation = a.Get(0, "width", 4L) is string text ? text : new string(' ', (int)PyOps.ToLong(a.Get(0, "width", 4L)));
        var first = PyOps.Truthy(a.Get(1, "first", false));
        var blank = PyOps.Truthy(a.Get(2, "blank", false));
        // jinja2 appends a newline before splitting so a trailing newline does not yield an indented empty line.
        var lines = PyString.SplitLines(s + "\n");
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1)
            {
                result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
            }
        }
        return first ? indentation + result : result;
    }

    private static List<object?> Sort(object? value, JinjaArguments a)
    {
        var reverse = PyOps.Truthy(a.Get(0, "reverse", false));
        var caseSensitive = PyOps.Truthy(a.Get(1, "case_sensitive", false));
        var key = a.Get(2, "attribute") is { } attribute ? AttributeGetter(attribute, null) : x => x;
        object? Key(object? x) => key(x) is string s && !caseSensitive ? s.ToLowerInvariant() : key(x);
        var items = PyOps.Iterate(value).ToList();
        // List.Sort is unstable; Python's sort is stable, so sort (key, position) pairs.
        var keyed = items.Select((x, i) => (Key: Key(x), Index: i, Item: x)).ToList();
        keyed.Sort((x, y) =>
        {
            var c = PyOps.Compare(x.Key, y.Key, "<");
            return c != 0 ? (reverse ? -c : c) : x.Index.CompareTo(y.Index);
        });
        return [.. keyed.Select(k => k.Item)];
    }

    private static object? Sum(object? value, JinjaArguments a)
    {
        var key = a.Get(0, "attribute") is { } attribute ? AttributeGetter(attribute, null) : x => x;
        return PyOps.Iterate(value).Select(key).Aggregate(a.Get(1, "start", 0L), PyOps.Add);
    }

    private static object? MinMax(string name, object? value, JinjaArguments a)
    {
        var caseSensitive = PyOps.Truthy(a.Get(0, "case_sensitive", false));
        var key = a.Get(1, "attribute") is { } attribute ? AttributeGetter(attribute, null) : x => x;
        object? Key(object? x) => key(x) is string s && !caseSensitive ? s.ToLowerInvariant() : key(x);
        var items = PyOps.Iterate(value).ToList();
        if (items.Count == 0)
        {
            return new Undefined($"No aggregated item, sequence was empty.");
        }
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PyOps.Compare(Key(item), Key(best), name == "min" ? "<" : ">");
            if (name == "min" ? c < 0 : c > 0)
            {
                best = item;
            }
        }
        return best;
    }

    /// <summary>markupsafe's escape: &amp; &lt; &gt; " and ' only (no entity for other characters).</summary>
    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
