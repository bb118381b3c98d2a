namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>The Python str, dict and list/tuple methods templates call (content.strip(), message.get('x'),
/// text.split(...)), with Python's argument rules and results.</summary>
internal static class PyMethods
{
    public static object? String(string s, string name, JinjaArguments a)
    {
        string? OptionalString(int index, string key) => a.Get(index, key) switch
        {
            null => null,
            string text => text,
            var other => throw PyOps.Runtime($"{name} arg must be None or str, not {PyFormat.TypeName(other)}"),
        };
        string RequiredString(int index, string key) => a.Get(index, key, new Undefined("")) switch
        {
            string text => text,
            Undefined => throw PyOps.Runtime($"{name}() missing required argument '{key}'"),
            var other => throw PyOps.Runtime($"must be str, not {PyFormat.TypeName(other)}"),
        };
        switch (name)
        {
            case "strip":
                return PyString.Strip(s, OptionalString(0, "chars"));
            case "lstrip":
                return PyString.Strip(s, OptionalString(0, "chars"), right: false);
            case "rstrip":
                return PyString.Strip(s, OptionalString(0, "chars"), left: false);
            case "split":
                return PyString.Split(s, OptionalString(0, "sep"), PyOps.ToLong(a.Get(1, "maxsplit", -1L)));
            case "rsplit":
                return PyString.RSplit(s, OptionalString(0, "sep"), PyOps.ToLong(a.Get(1, "maxsplit", -1L)));
            case "splitlines":
                return PyString.SplitLines(s, PyOps.Truthy(a.Get(0, "keepends", false))).Cast<object?>().ToList();
            case "startswith" or "endswith":
                var start = a.Has(1, "start") ? (int)PyOps.ToLong(a.Get(1, "start")) : 0;
                var subject = start == 0 ? s : (string)PyOps.Slice(s, (long)start, null, null)!;
                var candidates = a.Get(0, "prefix") switch
                {
                    string one => [one],
                    PyTuple many => many.Select(x => x as string ?? throw PyOps.Runtime($"tuple for {name} must only contain str")).ToArray(),
                    var other => throw PyOps.Runtime($"{name} first arg must be str or a tuple of str, not {PyFormat.TypeName(other)}"),
                };
                return candidates.Any(c => name == "startswith"
                    ? subject.StartsWith(c, StringComparison.Ordinal)
                    : subject.EndsWith(c, StringComparison.Ordinal));
            case "upper":
                return s.ToUpperInvariant();
            case "lower" or "casefold":
                return s.ToLowerInvariant();
            case "replace":
                return PyString.Replace(s, RequiredString(0, "old"), RequiredString(1, "new"), PyOps.ToLong(a.Get(2, "count", -1L)));
            case "title":
                return PyString.Title(s);
            case "capitalize":
                return PyString.Capitalize(s);
            case "find" or "index":
                var at = s.IndexOf(RequiredString(0, "sub"), StringComparison.Ordinal);
                return at < 0 && name == "index" ? throw PyOps.Runtime("substring not found") : (long)CodePointIndex(s, at);
            case "rfind" or "rindex":
                var last = s.LastIndexOf(RequiredString(0, "sub"), StringComparison.Ordinal);
                return last < 0 && name == "rindex" ? throw PyOps.Runtime("substring not found") : (long)CodePointIndex(s, last);
            case "count":
                var needle = RequiredString(0, "sub");
                return needle.Length == 0 ? PyString.Length(s) + 1L : (long)((s.Length - s.Replace(needle, "", StringComparison.Ordinal).Length) / needle.Length);
            case "join":
                return string.Join(s, PyOps.Iterate(a.Get(0, "iterable")).Select(x => x as string
                    ?? throw PyOps.Runtime($"sequence item: expected str instance, {PyFormat.TypeName(x)} found")));
            case "removeprefix":
                var prefix = RequiredString(0, "prefix");
                return s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s;
            case "removesuffix":
                var suffix = RequiredString(0, "suffix");
                return suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
            case "isdigit":
                return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha":
                return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum":
                return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace":
                return s.Length > 0 && s.All(PyString.IsSpace);
            case "isupper":
                return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "islower":
                return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            default:
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the string method {name}()", feature: $"str.{name}()");
        }
    }

    public static object? Dict(PyDict d, string name, JinjaArguments a)
    {
        switch (name)
        {
            case "get":
                var key = a.Get(0, "key");
                return key is not null && d.TryGetValue(key, out var value) ? value : a.Get(1, "default");
            case "items":
                return d.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList();
            case "keys":
                return d.Keys.Cast<object?>().ToList();
            case "values":
                return d.Values.ToList();
            case "copy":
                var copy = new PyDict();
                foreach (var (k, v) in d)
                {
                    copy[k] = v;
                }
                return copy;
            default:
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the dict method {name}()", feature: $"dict.{name}()");
        }
    }

    public static object? Sequence(IReadOnlyList<object?> l, string name, JinjaArguments a)
    {
        var item = a.Get(0, "value");
        switch (name)
        {
            case "count":
                return (long)l.Count(x => PyOps.Equal(x, item));
            case "index":
                for (var i = 0; i < l.Count; i++)
                {
                    if (PyOps.Equal(l[i], item))
                    {
                        return (long)i;
                    }
                }
                throw PyOps.Runtime($"{PyFormat.Repr(item)} is not in list");
            case "copy":
                return l.ToList();
            default:
                throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the list method {name}()", feature: $"list.{name}()");
        }
    }

    private static int CodePointIndex(string s, int utf16Index) => utf16Index <= 0 ? utf16Index : PyString.Length(s[..utf16Index]);
}
