namespace MoCo.Hosting.Randomness;

/// <summary>
/// The SplitMix64 generator (evaluation.md §5.3), all arithmetic mod 2⁶⁴: its sequence is fixed by this code alone, so
/// a seeded draw is the same on every runtime, platform and language that implements it (System.Random's seeded
/// algorithm is an implementation detail). One generator for every service and tool that needs reproducible draws.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64-bit output.</summary>
    public ulong Next()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A uniform double in [0, 1) from the next output's top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
