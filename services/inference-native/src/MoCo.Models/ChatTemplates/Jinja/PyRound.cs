using System.Globalization;
using System.Numerics;

namespace MoCo.Models.ChatTemplates.Jinja;

/// <summary>Python's round(x, n) for floats: rounds the exact binary value half-to-even at the n-th decimal,
/// so round(2.675, 2) is 2.67 (2.675 is stored as 2.67499…), where Math.Round gives 2.68.</summary>
internal static class PyRound
{
    public static double Round(double x, int digits)
    {
        if (!double.IsFinite(x) || x == 0)
        {
            return x;
        }
        // x = mantissa · 2^exponent exactly; scale by 10^digits as a fraction numerator / denominator.
        var bits = BitConverter.DoubleToInt64Bits(x);
        var rawExponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        mantissa = rawExponent == 0 ? mantissa << 1 : mantissa | (1L << 52);
        var exponent = rawExponent - 1075;
        BigInteger numerator = mantissa;
        BigInteger denominator = BigInteger.One;
        if (exponent >= 0)
        {
            numerator <<= exponent;
        }
        else
        {
            denominator <<= -exponent;
        }
        if (digits >= 0)
        {
            numerator *= BigInteger.Pow(10, digits);
        }
        else
        {
            denominator *= BigInteger.Pow(10, -digits);
        }
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven))
        {
            quotient += 1;
        }
        var text = $"{(x < 0 ? "-" : "")}{quotient}E{-digits}";
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
