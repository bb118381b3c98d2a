using System.Globalization;
using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>Python's str() and repr() of interpreter values, which is what jinja2 prints: None, True,
/// 1.0, 1e-05, ['a', "it's"], {'k': 1}. Byte-identical output depends on these exact spellings.</summary>
internal static class PyFormat
{
    public static string Str(object? value) => value switch
    {
        null => "None",
        string s => s,
        Undefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => StringRepr(s),
        Undefined => "",
        PyTuple t => t.Count == 1 ? $"({Repr(t[0])},)" : $"({string.Join(", ", t.Select(Repr))})",
        PyDict d => "{" + string.Join(", ", d.Select(kv => $"{Repr(kv.Key)}: {Repr(kv.Value)}")) + "}",
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        JinjaNamespace ns => $"<Namespace {Repr(ns.Attributes)}>",
        JinjaFunction f => $"<function {f.Name}>",
        IJinjaCallable => "<callable>",
        LoopContext => "<LoopContext>",
        PyGenerator g => $"<generator object {g.Name}>",
        _ => value.ToString() ?? "",
    };

    /// <summary>Python's type name, as jinja2 puts it in error messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        PyTuple => "tuple",
        PyDict => "dict",
        List<object?> => "list",
        Undefined => "Undefined",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        PyGenerator => "generator",
        _ => "function",
    };

    /// <summary>Python's repr(float): the shortest digits that round-trip, in fixed notation when the decimal
    /// exponent is in [-4, 16), else d.ddde±XX; integral values keep ".0".</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }
        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }
        // .NET's "R" gives the shortest round-trip digits; re-lay them out by Python's rules.
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var (digits, exponent) = Decompose(shortest);
        var sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        if (exponent < 0)
        {
            return $"{sign}0.{new string('0', -exponent - 1)}{digits}";
        }
        if (digits.Length <= exponent + 1)
        {
            return $"{sign}{digits}{new string('0', exponent + 1 - digits.Length)}.0";
        }
        return $"{sign}{digits[..(exponent + 1)]}.{digits[(exponent + 1)..]}";
    }

    /// <summary>Splits a positive round-trip numeral ("123.45", "1E-05", "1.5E+16") into significant digits and
    /// the decimal exponent of the first digit.</summary>
    private static (string Digits, int Exponent) Decompose(string numeral)
    {
        var e = numeral.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? numeral : numeral[..e];
        var exponent = e < 0 ? 0 : int.Parse(numeral[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var integerPart = dot < 0 ? mantissa : mantissa[..dot];
        var fraction = dot < 0 ? "" : mantissa[(dot + 1)..];
        var all = integerPart + fraction;
        var firstNonZero = 0;
        while (firstNonZero < all.Length - 1 && all[firstNonZero] == '0')
        {
            firstNonZero++;
        }
        var digits = all[firstNonZero..].TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }
        return (digits, exponent + integerPart.Length - 1 - firstNonZero);
    }

    /// <summary>Python's repr(str): single quotes unless the text has a single and no double quote; escapes
    /// backslash, the quote, \n \r \t and characters Python does not consider printable.</summary>
    public static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == quote || c == '\\')
            {
                sb.Append('\\').Append((char)c);
            }
            else if (c == '\n')
            {
                sb.Append("\\n");
            }
            else if (c == '\r')
            {
                sb.Append("\\r");
            }
            else if (c == '\t')
            {
                sb.Append("\\t");
            }
            else if (IsPrintable(rune))
            {
                sb.Append(rune.ToString());
            }
            else
            {
                sb.Append(c <= 0xff ? $"\\x{c:x2}" : c <= 0xffff ? $"\\u{c:x4}" : $"\\U{c:x8}");
            }
        }
        return sb.Append(quote).ToString();
    }

    private static bool IsPrintable(Rune rune) => rune.Value == ' ' || Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
