namespace MoCo.Evaluator.Views;

/// <summary>The SplitMix64 generator of evaluation.md §5.3, all arithmetic mod 2⁶⁴, so a seeded sample is the
/// same on every platform and in every language that implements the spec.</summary>
public struct SplitMix64(ulong seed)
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
}
