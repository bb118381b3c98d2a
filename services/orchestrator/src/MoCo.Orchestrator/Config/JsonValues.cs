using System.Text.Json;

namespace MoCo.Orchestrator.Config;

/// <summary>The type rules of config-and-cli.md §1.5: ints accept integral floats (`5.0`); numbers accept ints;
/// booleans accept true, false, 0 and 1 (reference configs use 0/1); strings are never coerced to numbers.</summary>
public static class JsonValues
{
    /// <summary>An integer, or an integral float in the long range.</summary>
    public static bool TryInt(JsonElement e, out long value)
    {
        value = 0;
        if (e.ValueKind != JsonValueKind.Number)
        {
            return false;
        }
        if (e.TryGetInt64(out value))
        {
            return true;
        }
        var d = e.GetDouble();
        if (double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18)
        {
            value = (long)d;
            return true;
        }
        return false;
    }

    /// <summary>Any finite JSON number.</summary>
    public static bool TryNumber(JsonElement e, out double value)
    {
        value = e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
        return e.ValueKind == JsonValueKind.Number && double.IsFinite(value);
    }

    /// <summary>true, false, 0 or 1.</summary>
    public static bool TryBool(JsonElement e, out bool value)
    {
        value = e.ValueKind == JsonValueKind.True;
        if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return true;
        }
        if (TryInt(e, out var n) && n is 0 or 1)
        {
            value = n == 1;
            return true;
        }
        return false;
    }

    /// <summary>The value as written, cut to 40 characters, for "got …" in messages.</summary>
    public static string Describe(JsonElement e)
    {
        var raw = e.ValueKind == JsonValueKind.Undefined ? "nothing" : e.GetRawText();
        raw = raw.Replace('\n', ' ').Replace('\r', ' ');
        return raw.Length > 40 ? raw[..37] + "…" : raw;
    }

    /// <summary>A JSON element holding <paramref name="value"/> (defaults and normalised values of a validated config).</summary>
    public static JsonElement Of<T>(T value) => JsonSerializer.SerializeToElement(value);

    /// <summary>JSON null.</summary>
    public static JsonElement Null { get; } = JsonSerializer.SerializeToElement<object?>(null);
}
