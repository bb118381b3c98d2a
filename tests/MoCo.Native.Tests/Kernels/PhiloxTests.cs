using MoCo.Native.Kernels;

namespace MoCo.Native.Tests.Kernels;

/// <summary>The managed Philox stream equals libmoco's, so the orchestrator draws the engine's numbers.</summary>
public class PhiloxTests
{
    [Fact]
    public void BlockMatchesTheRandom123KnownAnswers()
    {
        // Random123's kat_vectors for philox4x32_10.
        uint[][] cases =
        [
            [0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ];
        foreach (var c in cases)
        {
            var managed = new uint[4];
            var native = new uint[4];
            ManagedPhilox.Block(c.AsSpan(0, 4), c.AsSpan(4, 2), managed);
            Philox.Block(c.AsSpan(0, 4), c.AsSpan(4, 2), native);
            Assert.Equal(c[6..], managed);
            Assert.Equal(c[6..], native);
        }
    }

    [Fact]
    public void ManagedDrawsEqualNativeOnThousandsOfTriples()
    {
        var random = new Random(20240601);
        var counter = new uint[4];
        var key = new uint[2];
        var managed = new uint[4];
        var native = new uint[4];
        for (var i = 0; i < 5000; i++)
        {
            var seed = NextU64(random);
            // Small counters (the common case) and full 64-bit ones (high halves exercised).
            var tokens = i % 2 == 0 ? (ulong)random.Next(0, 4096) : NextU64(random);
            var sample = i % 3 == 0 ? (ulong)random.Next(0, 16) : NextU64(random);
            var expected = SamplingUniform.Draw(seed, tokens, sample);
            var actual = ManagedPhilox.SamplingUniform(seed, tokens, sample);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"seed {seed}, tokens {tokens}, sample {sample}: {actual} vs {expected}");
            Assert.InRange(actual, 0f, 0.99999995f);

            for (var w = 0; w < 4; w++)
            {
                counter[w] = (uint)random.NextInt64(0, 1L << 32);
            }

            key[0] = (uint)seed;
            key[1] = (uint)(seed >> 32);
            ManagedPhilox.Block(counter, key, managed);
            Philox.Block(counter, key, native);
            Assert.Equal(native, managed);
        }
    }

    [Fact]
    public void BlockArgumentsAreChecked()
    {
        Assert.Equal("counter", Assert.Throws<ArgumentException>(() => ManagedPhilox.Block(new uint[3], new uint[2], new uint[4])).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => Philox.Block(new uint[4], new uint[1], new uint[4])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Philox.Block(new uint[4], new uint[2], new uint[3])).ParamName);
    }

    [Fact]
    public void DareMaskIsThePhiloxStreamOfTheTensor()
    {
        const ulong seed = 42;
        const string name = "model.layers.0.mlp.up_proj.weight";
        var keep = new byte[300];
        DareMask.Compute(seed, modelIndex: 3, name, offset: 1000, density: 0.3, keep);

        var hash = 0xCBF29CE484222325ul;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(name))
        {
            hash = (hash ^ b) * 0x100000001B3ul;
        }

        var key = seed ^ hash;
        var block = new uint[4];
        for (var j = 0; j < keep.Length; j++)
        {
            var element = 1000ul + (ulong)j;
            ManagedPhilox.Block([(uint)element, (uint)(element >> 32), 3u, 0u], [(uint)key, (uint)(key >> 32)], block);
            var u = (block[0] >> 8) * (1.0 / 16777216.0);
            Assert.Equal(u < 0.3 ? 1 : 0, keep[j]);
        }

        DareMask.Compute(seed, 0, name, 0, 1.0, keep);
        Assert.All(keep, k => Assert.Equal(1, k));
        Assert.Throws<ArgumentOutOfRangeException>(() => DareMask.Compute(seed, 0, name, 0, double.NaN, keep));
    }

    private static ulong NextU64(Random random) => ((ulong)(uint)random.Next() << 33) ^ ((ulong)(uint)random.Next() << 11) ^ (uint)random.Next();
}
