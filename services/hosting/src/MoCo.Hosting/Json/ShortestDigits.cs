using System.Globalization;

namespace MoCo.Hosting.Json;

/// <summary>The shortest decimal digits that round-trip a double, as value = 0.DIGITS × 10^<see cref="Point"/>. Python's
/// repr and RFC 8785 (ECMAScript) both start from these digits and differ only in layout.</summary>
public readonly record struct ShortestDigits(bool Negative, string Digits, int Point)
{
    /// <summary>The digits of a finite <paramref name="x"/> (.NET's "R" is shortest round-trip since .NET Core 3.0).</summary>
    public static ShortestDigits Of(double x)
    {
        if (!double.IsFinite(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "not a finite number");
        }
        var negative = double.IsNegative(x);
        var text = Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var intPart = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        var all = intPart + fraction;
        var point = intPart.Length + exponent;
        var lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0')
        {
            lead++;
        }
        all = all[lead..];
        point -= lead;
        all = all.TrimEnd('0');
        return all.Length == 0 ? new ShortestDigits(negative, "0", 1) : new ShortestDigits(negative, all, point);
    }
}
