using MoCo.Hosting.Randomness;

namespace MoCo.Zoo.Suite;

/// <summary>
/// SplitMix64: a tiny generator whose sequence is fixed by this code alone, so the suite and the initial weights
/// are the same on every runtime and platform (System.Random's seeded algorithm is an implementation detail).
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private readonly SplitMix64 _bits = new(seed);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => _bits.Next();

    /// <summary>An integer in [0, <paramref name="count"/>).</summary>
    public int Next(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)(NextUInt64() % (ulong)count);
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => _bits.NextDouble();

    /// <summary>A standard normal draw (Box–Muller).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>One element of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for a named sub-stream, independent of how much of this one was used.</summary>
    public static SeededRandom For(ulong seed, string stream)
    {
        var h = 14695981039346656037UL;
        foreach (var c in stream)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return new SeededRandom(seed ^ h);
    }
}
