using MoCo.Native.Kernels;

namespace MoCo.Native.Tests.Kernels;

/// <summary>Each logits kernel against a straightforward double-precision C# reference on small inputs.</summary>
public class LogitsTests
{
    private const int Vocab = 6;
    private const double Tolerance = 2e-6;

    // Two rows; the second has a -inf (probability 0) and a tie.
    private static readonly float[] Z = [1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f, 2.0f, float.NegativeInfinity, 2.0f, -0.5f, 1.25f, 0.0f];
    private static readonly float[] Y = [0.5f, 1.0f, -1.0f, 2.0f, 0.25f, 0.0f, -2.0f, 1.0f, 0.5f, 0.0f, 3.0f, -1.0f];

    [Fact]
    public void LogSoftmaxMatchesTheReferenceAndWorksInPlace()
    {
        var output = new float[Z.Length];
        Logits.LogSoftmax(Z, 2, Vocab, output);
        for (var r = 0; r < 2; r++)
        {
            var row = Z.AsSpan(r * Vocab, Vocab).ToArray();
            var m = row.Max();
            var lse = Math.Log(row.Sum(x => Math.Exp(x - m)));
            for (var v = 0; v < Vocab; v++)
            {
                var want = row[v] - m - lse;
                if (double.IsNegativeInfinity(want))
                {
                    Assert.True(float.IsNegativeInfinity(output[(r * Vocab) + v]));
                }
                else
                {
                    Assert.Equal(want, output[(r * Vocab) + v], Tolerance);
                }
            }
        }

        var inPlace = (float[])Z.Clone();
        Logits.LogSoftmax(inPlace, 2, Vocab, inPlace);
        Assert.Equal(output, inPlace);
    }

    [Fact]
    public void FuseIsTheWeightedSumAndSkipsZeroWeights()
    {
        var output = new float[Z.Length];
        Logits.Fuse([Z.AsMemory(), Y.AsMemory()], [0.25f, 0.75f], 2, Vocab, output);
        for (var i = 0; i < Z.Length; i++)
        {
            Assert.Equal((0.25 * Z[i]) + (0.75 * Y[i]), output[i], Tolerance);
        }

        Logits.Fuse([Y.AsMemory(), Z.AsMemory()], [1f, 0f], 2, Vocab, output);
        Assert.Equal(Y, output);

        Logits.Fuse([Y.AsMemory(), Y.AsMemory()], [], 2, Vocab, output);
        Assert.Equal(Y, output);

        // Strides: a wider second model contributes only its first Vocab columns (L6).
        var wide = new float[2 * (Vocab + 2)];
        for (var r = 0; r < 2; r++)
        {
            Y.AsSpan(r * Vocab, Vocab).CopyTo(wide.AsSpan(r * (Vocab + 2)));
        }

        Logits.Fuse([Y.AsMemory(), wide.AsMemory()], [0.5f, 0.5f], 2, Vocab, output, [Vocab, Vocab + 2]);
        Assert.Equal(Y, output);
    }

    [Fact]
    public void ContrastAndPlausibilityCutFollowL3AndL4()
    {
        var finite = Z.Select(x => float.IsInfinity(x) ? -5f : x).ToArray();
        var output = new float[Z.Length];
        Logits.Contrast([finite.AsMemory(), Y.AsMemory()], 0.5f, 2, Vocab, output);
        for (var i = 0; i < Z.Length; i++)
        {
            Assert.Equal((1.5 * finite[i]) - (0.5 * Y[i]), output[i], 1e-5);
        }

        var cut = (float[])output.Clone();
        Logits.PlausibilityCut(finite, Vocab, 0.5f, 2, Vocab, cut);
        for (var r = 0; r < 2; r++)
        {
            var threshold = (float)(finite.AsSpan(r * Vocab, Vocab).ToArray().Max() + Math.Log(0.5));
            for (var v = 0; v < Vocab; v++)
            {
                var i = (r * Vocab) + v;
                Assert.Equal(finite[i] >= threshold ? output[i] : float.NegativeInfinity, cut[i]);
            }
        }

        Assert.Equal(MocoStatus.Numeric, Assert.Throws<MocoException>(() => Logits.Contrast([Z.AsMemory(), Y.AsMemory()], 0.5f, 2, Vocab, output)).Status);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => Logits.Contrast([Z.AsMemory()], 0.5f, 2, Vocab, output)).ParamName);
    }

    [Fact]
    public void EntropyAndTop1ProbMatchTheReference()
    {
        var entropy = new float[2];
        var top1 = new float[2];
        Logits.Entropy(Z, 2, Vocab, entropy);
        Logits.Top1Prob(Z, 2, Vocab, top1);
        for (var r = 0; r < 2; r++)
        {
            var row = Z.AsSpan(r * Vocab, Vocab).ToArray();
            var m = row.Max();
            var s = row.Sum(x => Math.Exp(x - m));
            var p = row.Select(x => Math.Exp(x - m) / s).ToArray();
            Assert.Equal(-p.Where(x => x > 0).Sum(x => x * Math.Log(x)), entropy[r], 1e-5);
            Assert.Equal(p.Max(), top1[r], Tolerance);
        }
    }

    [Fact]
    public void TopKIsDescendingWithTiesLowestIndexFirst()
    {
        var ids = new int[6];
        var values = new float[6];
        Logits.TopK(Z, 2, Vocab, 3, ids, values);
        Assert.Equal([3, 0, 2, 0, 2, 4], ids);
        Assert.Equal([3.0f, 1.0f, 0.5f, 2.0f, 2.0f, 1.25f], values);

        Logits.TopK(Z, 2, Vocab, 1, ids);
        Assert.Equal([3, 0], ids[..2]);
    }

    [Fact]
    public void ShortBuffersAndBadShapesFailInCSharpNamingTheParameter()
    {
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Logits.LogSoftmax(Z, 2, Vocab, new float[11])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Logits.Entropy(Z, 3, Vocab, new float[3])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Logits.Top1Prob(Z, 2, Vocab, new float[1])).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => Logits.TopK(Z, 2, Vocab, 3, new int[5])).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Logits.TopK(Z, 2, Vocab, 7, new int[14])).ParamName);
        Assert.Equal("vocab", Assert.Throws<ArgumentOutOfRangeException>(() => Logits.LogSoftmax(Z, 2, 0, Z.ToArray())).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => Logits.Fuse([Z.AsMemory(), Y.AsMemory()[..11]], [], 2, Vocab, new float[12])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Logits.Fuse([Z.AsMemory()], [1f, 2f], 2, Vocab, new float[12])).ParamName);
        Assert.Equal("anchor", Assert.Throws<ArgumentException>(() => Logits.PlausibilityCut(Z.AsSpan(0, 7), Vocab, 0.5f, 2, Vocab, Z.ToArray())).ParamName);
        Assert.Equal(MocoStatus.Numeric, Assert.Throws<MocoException>(() => Logits.LogSoftmax([float.NaN, 0f], 1, 2, new float[2])).Status);
    }
}
