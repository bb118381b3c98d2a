using System.Globalization;
using System.Text;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>The global functions a chat template sees: jinja2's range, dict and namespace, and the two
/// transformers adds, raise_exception(message) and strftime_now(format).</summary>
internal static class JinjaGlobals
{
    /// <summary>jinja2's sandbox refuses ranges longer than this (MAX_RANGE).</summary>
    private const long MaxRange = 100_000;

    public static IEnumerable<KeyValuePair<string, object?>> Create(Func<DateTime> clock) =>
    [
        new("range", new JinjaFunction("range", Range)),
        new("dict", new JinjaFunction("dict", a => Dict(a))),
        new("namespace", new JinjaFunction("namespace", a => Namespace(a))),
        new("raise_exception", new JinjaFunction("raise_exception", a =>
            throw new ChatTemplateException(ChatTemplateErrorKind.Raised, PyFormat.Str(a.Get(0, "message"))))),
        new("strftime_now", new JinjaFunction("strftime_now", a => Strftime(clock(), PyFormat.Str(a.Get(0, "format"))))),
    ];

    private static List<object?> Range(JinjaArguments a)
    {
        var numbers = a.Positional.Select(PyOps.ToLong).ToArray();
        var (start, stop, step) = numbers.Length switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw PyOps.Runtime($"range expected 1 to 3 arguments, got {numbers.Length}"),
        };
        if (step == 0)
        {
            throw PyOps.Runtime("range() arg 3 must not be zero");
        }
        var count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > MaxRange)
        {
            throw PyOps.Runtime($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        }
        var result = new List<object?>((int)count);
        for (var i = 0L; i < count; i++)
        {
            result.Add(start + i * step);
        }
        return result;
    }

    private static PyDict Dict(JinjaArguments a)
    {
        var dict = new PyDict();
        foreach (var positional in a.Positional)
        {
            if (positional is not PyDict source)
            {
                throw PyOps.Runtime("dict() takes keyword arguments or a mapping");
            }
            foreach (var (k, v) in source)
            {
                dict[k] = v;
            }
        }
        foreach (var (k, v) in a.Keywords)
        {
            dict[k] = v;
        }
        return dict;
    }

    private static JinjaNamespace Namespace(JinjaArguments a)
    {
        var ns = new JinjaNamespace();
        foreach (var (k, v) in Dict(a))
        {
            ns.Attributes[k] = v;
        }
        return ns;
    }

    /// <summary>Python's datetime.strftime for the directives templates use (%d %b %Y …), in the C locale.</summary>
    public static string Strftime(DateTime time, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var directive = format[++i];
            sb.Append(directive switch
            {
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'b' or 'h' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'd' => time.ToString("dd", c),
                'm' => time.ToString("MM", c),
                'y' => time.ToString("yy", c),
                'Y' => time.Year.ToString(c),
                'H' => time.ToString("HH", c),
                'I' => time.ToString("hh", c),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'M' => time.ToString("mm", c),
                'S' => time.ToString("ss", c),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'j' => time.DayOfYear.ToString("000", c),
                'w' => ((int)time.DayOfWeek).ToString(c),
                'F' => time.ToString("yyyy-MM-dd", c),
                'T' => time.ToString("HH:mm:ss", c),
                '%' => "%",
                _ => throw new ChatTemplateException(ChatTemplateErrorKind.Unsupported, $"the strftime directive %{directive}", feature: $"strftime %{directive}"),
            });
        }
        return sb.ToString();
    }
}
