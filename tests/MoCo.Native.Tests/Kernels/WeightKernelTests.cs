using System.Runtime.InteropServices;
using MoCo.Native.Kernels;

namespace MoCo.Native.Tests.Kernels;

/// <summary>LoRA apply (M9), the PSO step (M11) and softmax weights (M12) against C# references.</summary>
public class WeightKernelTests
{
    [Fact]
    public void LoraApplyAddsTheScaledProductAndStreamsRowRanges()
    {
        const int rows = 3, cols = 4, rank = 2;
        float[] w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        float[] a = [0.5f, -1, 0.25f, 2, 1, 0, -0.5f, 0.75f];
        float[] b = [1, 2, -1, 0.5f, 0.25f, -2];
        const float scale = 0.5f;
        var output = new float[rows * cols];
        LoraApply.Apply(Bytes(w), MocoDtype.F32, rows, cols, Bytes(a), MocoDtype.F32, Bytes(b), MocoDtype.F32, rank, scale, false, 0, rows, Bytes(output), MocoDtype.F32);
        for (var o = 0; o < rows; o++)
        {
            for (var i = 0; i < cols; i++)
            {
                var ba = 0f;
                for (var k = 0; k < rank; k++)
                {
                    ba += b[(o * rank) + k] * a[(k * cols) + i];
                }

                Assert.Equal(w[(o * cols) + i] + (ba * scale), output[(o * cols) + i], 1e-6);
            }
        }

        var tail = new float[2 * cols];
        LoraApply.Apply(Bytes(w.AsSpan(cols)), MocoDtype.F32, rows, cols, Bytes(a), MocoDtype.F32, Bytes(b), MocoDtype.F32, rank, scale, false, 1, 2, Bytes(tail), MocoDtype.F32);
        Assert.Equal(output[cols..], tail);

        Assert.Equal("b", Assert.Throws<ArgumentException>(() => LoraApply.Apply(Bytes(w), MocoDtype.F32, rows, cols, Bytes(a), MocoDtype.F32, Bytes(b.AsSpan(1)), MocoDtype.F32, rank, scale, false, 0, rows, Bytes(output), MocoDtype.F32)).ParamName);
        Assert.Equal("rowCount", Assert.Throws<ArgumentOutOfRangeException>(() => LoraApply.Apply(Bytes(w), MocoDtype.F32, rows, cols, Bytes(a), MocoDtype.F32, Bytes(b), MocoDtype.F32, rank, scale, false, 2, 2, Bytes(output), MocoDtype.F32)).ParamName);
    }

    [Fact]
    public void PsoStepFollowsTheUpdateLeftToRight()
    {
        float[] x = [1, 2, 3], v = [0.5f, -0.5f, 0], p = [2, 2, 2], g = [3, 1, 0], worst = [0, 0, 5];
        var xOut = new float[3];
        var vOut = new float[3];
        PsoStep.Step(Bytes(x), Bytes(v), Bytes(p), Bytes(g), Bytes(worst), MocoDtype.F32, 3, 0.7f, 0.2f, 0.3f, 0.1f, 0.5f, Bytes(xOut), Bytes(vOut), MocoDtype.F32);
        for (var i = 0; i < 3; i++)
        {
            var nv = (0.7f * v[i]) + (0.2f * (p[i] - x[i])) + (0.3f * (g[i] - x[i])) + (0.1f * (x[i] - worst[i]));
            Assert.Equal(nv, vOut[i], 1e-6);
            Assert.Equal(x[i] + (0.5f * nv), xOut[i], 1e-6);
        }

        Assert.Equal("vOut", Assert.Throws<ArgumentException>(() => PsoStep.Step(Bytes(x), Bytes(v), Bytes(p), Bytes(g), Bytes(worst), MocoDtype.F32, 3, 1, 1, 1, 1, 1, Bytes(xOut), Bytes(vOut.AsSpan(1)), MocoDtype.F32)).ParamName);
    }

    [Fact]
    public void SoftmaxWeightsMatchTheReference()
    {
        float[] scores = [0.1f, 2.5f, -1f, 0.7f];
        var weights = new float[4];
        SoftmaxWeights.Compute(scores, weights);
        var m = scores.Max();
        var sum = scores.Sum(s => Math.Exp(s - m));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(Math.Exp(scores[i] - m) / sum, weights[i], 1e-7);
        }

        Assert.Equal("output", Assert.Throws<ArgumentException>(() => SoftmaxWeights.Compute(scores, new float[3])).ParamName);
        Assert.Equal(MocoStatus.InvalidArgument, Assert.Throws<MocoException>(() => SoftmaxWeights.Compute([float.NaN], new float[1])).Status);
    }

    private static Span<byte> Bytes(Span<float> values) => MemoryMarshal.AsBytes(values);
}
