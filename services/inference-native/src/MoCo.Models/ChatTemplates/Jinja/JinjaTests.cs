namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>jinja2's built-in tests (<c>x is defined</c>, <c>x is string</c>, <c>n is odd</c>, …) with Python's
/// type rules: a string is iterable and a sequence, True is a number but not an integer, a dict is a sequence.</summary>
internal static class JinjaTests
{
    public static bool Run(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw PyOps.Runtime($"the '{name}' test needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is long or double or bool,
            "string" => value is string,
            "mapping" => value is PyDict,
            "sequence" => value is string or List<object?> or PyTuple or PyDict or Undefined,
            "iterable" => value is string or List<object?> or PyTuple or PyDict or PyGenerator or JinjaNamespace or Undefined,
            "callable" => value is IJinjaCallable,
            "odd" => PyOps.ToLong(value) % 2 != 0,
            "even" => PyOps.ToLong(value) % 2 == 0,
            "divisibleby" => PyOps.ToLong(value) % PyOps.ToLong(Arg()) == 0,
            "lower" => PyFormat.Str(value) is var lower && lower.Any(char.IsLetter) && !lower.Any(char.IsUpper),
            "upper" => PyFormat.Str(value) is var upper && upper.Any(char.IsLetter) && !upper.Any(char.IsLower),
            "sameas" => ReferenceEquals(value, Arg()) || (value is null && Arg() is null) || (value is bool b && Arg() is bool c && b == c),
            "escaped" => false,
            "in" => PyOps.Contains(Arg(), value),
            "eq" or "equalto" or "==" => PyOps.Equal(value, Arg()),
            "ne" or "!=" => !PyOps.Equal(value, Arg()),
            "lt" or "lessthan" or "<" => PyOps.Compare(value, Arg(), "<") < 0,
            "le" or "<=" => PyOps.Compare(value, Arg(), "<=") <= 0,
            "gt" or "greaterthan" or ">" => PyOps.Compare(value, Arg(), ">") > 0,
            "ge" or ">=" => PyOps.Compare(value, Arg(), ">=") >= 0,
            _ => throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the test '{name}'", feature: $"is {name}"),
        };
    }
}
