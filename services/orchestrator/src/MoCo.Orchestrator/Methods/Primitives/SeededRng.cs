using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MoCo.Hosting.Randomness;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// The seeded `Rng(scope…)` of methods-text.md §0.11: every random choice of a method (tie breaks, opponent draws,
/// PSO, shuffles) comes from a stream keyed by the run seed and a scope, never time or global state, so equal
/// config + seed give equal choices and a resumed run redraws the same numbers.
/// </summary>
public sealed class SeededRng
{
    private readonly SplitMix64 _state;

    private SeededRng(ulong seed) => _state = new SplitMix64(seed);

    /// <summary>The stream of <paramref name="scope"/> under <paramref name="seed"/> (a scope is e.g. method, phase, item).</summary>
    public static SeededRng For(ulong seed, params string[] scope)
    {
        var text = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0" + string.Join("\0", scope);
        return new SeededRng(BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
    }

    /// <summary>A uniform double in [0, 1) (53 random bits).</summary>
    public double NextDouble() => _state.NextDouble();

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias.</summary>
    public int Next(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(n, 0);
        var limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong draw;
        do
        {
            draw = _state.Next();
        }
        while (draw >= limit);
        return (int)(draw % (ulong)n);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
