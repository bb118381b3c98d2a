using MoCo.Native.Kernels;

namespace MoCo.Native.Tests.Kernels;

public class SamplingTests
{
    private static readonly float[] Row = [0.5f, 2.0f, -1.0f, 1.5f, 0.0f, 2.0f, -3.0f, 1.0f];

    [Fact]
    public void SeededSamplingIsReproducibleAndFollowsTheL5Draw()
    {
        for (ulong t = 0; t < 200; t++)
        {
            var token = Sampling.Sample(Row, SamplingOptions.Default, [], seed: 7, tokensGenerated: t, sampleIndex: 1);
            Assert.Equal(token, Sampling.Sample(Row, null, [], 7, t, 1));
            Assert.Equal(Reference(Row, ManagedPhilox.SamplingUniform(7, t, 1)), token);
        }
    }

    [Fact]
    public void GreedyAndTopKOneAreTheArgmaxWhateverTheSeed()
    {
        var processed = new float[Row.Length];
        Assert.Equal(1, Sampling.Sample(Row, SamplingOptions.Greedy, [], 1, 0, 0));
        for (ulong t = 0; t < 20; t++)
        {
            // Ties at the k-th value survive top-k: ids 1 and 5 share the largest logit.
            Assert.Contains(Sampling.Sample(Row, new SamplingOptions(TopK: 1), [], 99, t, 0, processed), new[] { 1, 5 });
        }

        Assert.Equal(2.0f, processed[1]);
        Assert.Equal(2.0f, processed[5]);
        Assert.True(float.IsNegativeInfinity(processed[0]));
        Assert.Equal(3, Sampling.Sample(Row.AsSpan(2, 4), new SamplingOptions(TopK: 1), [], 99, 0, 0));

        // The penalty divides a positive logit: id 1 drops to 1.0, so id 5 (2.0) wins.
        Assert.Equal(5, Sampling.Sample(Row, SamplingOptions.Greedy with { RepetitionPenalty = 2f }, [1, 1], 0, 0, 0));
    }

    [Fact]
    public void DefaultsAreLibmocosAndErrorsAreMocoExceptions()
    {
        var native = MoCo.Native.Interop.NativeMethods.moco_sampling_default_options();
        var d = SamplingOptions.Default;
        Assert.Equal((native.Temperature, native.TopK, native.TopP, native.MinP, native.RepetitionPenalty), (d.Temperature, d.TopK, d.TopP, d.MinP, d.RepetitionPenalty));

        var e = Assert.Throws<MocoException>(() => Sampling.Sample(Row, new SamplingOptions(TopP: 2f), [], 0, 0, 0));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains("top_p", e.Message, StringComparison.Ordinal);
        Assert.Equal(MocoStatus.Numeric, Assert.Throws<MocoException>(() => Sampling.Sample([float.NaN, 1f], null, [], 0, 0, 0)).Status);
        Assert.Equal("processed", Assert.Throws<ArgumentException>(() => Sampling.Sample(Row, null, [], 0, 0, 0, new float[3])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample([], null, [], 0, 0, 0)).ParamName);
    }

    // The smallest id whose running sum of exp(z - m) exceeds u * total (f64 sums, ascending ids).
    private static int Reference(float[] z, float u)
    {
        var m = z.Max();
        var total = z.Sum(x => Math.Exp(x - m));
        var running = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            running += Math.Exp(z[i] - m);
            if (running > u * total)
            {
                return i;
            }
        }

        return z.Length - 1;
    }
}
