namespace MoCo.Native.Kernels;

/// <summary>
/// Philox4x32-10 and the L5 sampling uniform in pure C#, bit-identical to libmoco's (moco.h "Counter-based
/// random stream"), so managed code (the orchestrator) draws the very stream the engine draws without loading
/// the native library. Thread-safe: pure functions.
/// </summary>
public static class ManagedPhilox
{
    private const uint Mul0 = 0xD2511F53u;
    private const uint Mul1 = 0xCD9E8D57u;
    private const uint Weyl0 = 0x9E3779B9u;
    private const uint Weyl1 = 0xBB67AE85u;

    /// <summary>Writes philox4x32_10(counter, key) to <paramref name="output"/>, as <see cref="Philox.Block"/>.</summary>
    public static void Block(ReadOnlySpan<uint> counter, ReadOnlySpan<uint> key, Span<uint> output)
    {
        CheckBlockArguments(counter, key, output);
        var (x0, x1, x2, x3) = Rounds(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
        output[0] = x0;
        output[1] = x1;
        output[2] = x2;
        output[3] = x3;
    }

    /// <summary>
    /// u in [0, 1), as <see cref="SamplingUniform.Draw"/>: key = seed, counter = (tokensGenerated, sampleIndex)
    /// as 32-bit halves, u = (out[0] &gt;&gt; 8) * 2^-24 (exact in float).
    /// </summary>
    public static float SamplingUniform(ulong seed, ulong tokensGenerated, ulong sampleIndex)
    {
        var (x0, _, _, _) = Rounds(
            (uint)tokensGenerated, (uint)(tokensGenerated >> 32), (uint)sampleIndex, (uint)(sampleIndex >> 32),
            (uint)seed, (uint)(seed >> 32));
        return (x0 >> 8) * (1.0f / 16777216.0f);
    }

    internal static void CheckBlockArguments(ReadOnlySpan<uint> counter, ReadOnlySpan<uint> key, Span<uint> output)
    {
        if (counter.Length != 4)
        {
            throw new ArgumentException($"has {counter.Length} words; a Philox4x32 counter has 4", nameof(counter));
        }

        if (key.Length != 2)
        {
            throw new ArgumentException($"has {key.Length} words; a Philox4x32 key has 2", nameof(key));
        }

        if (output.Length < 4)
        {
            throw new ArgumentException($"has {output.Length} words; a Philox4x32 block writes 4", nameof(output));
        }
    }

    private static (uint, uint, uint, uint) Rounds(uint x0, uint x1, uint x2, uint x3, uint k0, uint k1)
    {
        for (var round = 0; round < 10; round++)
        {
            var p0 = (ulong)Mul0 * x0;
            var p1 = (ulong)Mul1 * x2;
            (x0, x1, x2, x3) = ((uint)(p1 >> 32) ^ x1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ x3 ^ k1, (uint)p0);
            k0 += Weyl0;
            k1 += Weyl1;
        }

        return (x0, x1, x2, x3);
    }
}
