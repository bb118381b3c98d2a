using System.Globalization;
using System.Numerics;
using MoCo.Hosting.Json;

namespace MoCo.Orchestrator.Logs;

/// <summary>Python's float formatting, bit for bit (config-and-cli.md §3.1): `round(x, n)` (half-to-even on the exact
/// binary value), `repr` (shortest round-trip; fixed for 1e-4 ≤ |x| &lt; 1e16, integral floats keep `.0`) and `.Nf`.</summary>
public static class PyFloat
{
    /// <summary>Python `round(x, digits)`.</summary>
    public static double Round(double x, int digits)
    {
        if (!double.IsFinite(x) || x == 0)
        {
            return x;
        }
        var (negative, scaled) = Scaled(x, digits);
        var text = (negative ? "-" : "") + scaled.ToString(CultureInfo.InvariantCulture) + "E-" + digits.ToString(CultureInfo.InvariantCulture);
        // .NET parsing is correctly rounded, as Python's conversion of the rounded decimal back to a double.
        var result = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return result == 0 && negative ? -0.0 : result;
    }

    /// <summary>Python `repr(x)` of a float.</summary>
    public static string Repr(double x)
    {
        if (double.IsNaN(x))
        {
            return "NaN";
        }
        if (double.IsInfinity(x))
        {
            return x > 0 ? "Infinity" : "-Infinity";
        }
        var (negative, digits, point) = ShortestDigits.Of(x);
        string body;
        if (point > -4 && point <= 16)
        {
            body = point <= 0 ? "0." + new string('0', -point) + digits
                : point >= digits.Length ? digits + new string('0', point - digits.Length) + ".0"
                : digits[..point] + "." + digits[point..];
        }
        else
        {
            var exponent = point - 1;
            body = (digits.Length == 1 ? digits : digits[..1] + "." + digits[1..]) + "e" + (exponent < 0 ? "-" : "+")
                + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        return negative ? "-" + body : body;
    }

    /// <summary>Python `format(x, ".Nf")`: half-to-even on the exact binary value (0.125 → 0.12, 0.375 → 0.38).</summary>
    public static string Fixed(double x, int digits)
    {
        if (!double.IsFinite(x))
        {
            return double.IsNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
        }
        var (negative, scaled) = Scaled(x, digits);
        var text = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        var body = digits == 0 ? text : text[..^digits] + "." + text[^digits..];
        return (negative ? "-" : "") + body;
    }

    // |x| · 10^digits rounded half-to-even to an integer, computed exactly from x's binary mantissa and exponent.
    private static (bool Negative, BigInteger Scaled) Scaled(double x, int digits)
    {
        var bits = BitConverter.DoubleToInt64Bits(x);
        var negative = bits < 0;
        var rawExponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        mantissa = rawExponent == 0 ? mantissa << 1 : mantissa | (1L << 52);
        var exponent = rawExponent - 1075;
        BigInteger numerator = mantissa;
        var denominator = BigInteger.One;
        if (exponent >= 0)
        {
            numerator <<= exponent;
        }
        else
        {
            denominator <<= -exponent;
        }
        numerator *= BigInteger.Pow(10, digits);
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += 1;
        }
        return (negative, quotient);
    }
}
