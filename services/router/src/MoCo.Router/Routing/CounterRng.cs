using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MoCo.Router.Routing;

/// <summary>
/// Counter-based randomness (methods-api.md §0.7): every draw is a pure function of (run seed, purpose, item, model,
/// step), so results do not depend on batching, placement, lazy evaluation or the order in which items run.
/// </summary>
public static class CounterRng
{
    /// <summary>64 random bits for the key.</summary>
    public static ulong Bits(ulong seed, string purpose, string item, int model, long step)
    {
        var text = string.Join('\0', seed.ToString(CultureInfo.InvariantCulture), purpose, item,
            model.ToString(CultureInfo.InvariantCulture), step.ToString(CultureInfo.InvariantCulture));
        return BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>A uniform double in [0, 1) (53 bits) for the key.</summary>
    public static double Uniform(ulong seed, string purpose, string item, int model, long step) =>
        (Bits(seed, purpose, item, model, step) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="n"/>) for the key (rejection-free: 64 bits against a small n
    /// leave a bias below 2⁻⁵⁰).</summary>
    public static int Below(int n, ulong seed, string purpose, string item, int model, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return (int)(Bits(seed, purpose, item, model, step) % (ulong)n);
    }
}
