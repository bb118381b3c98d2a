using System.Runtime.InteropServices;
using MoCo.Native.Merge;

namespace MoCo.Native.Tests.Merge;

public class MergeTests
{
    private static readonly TensorDesc Shape = new(MocoDtype.F32, [4, 6]);

    [Fact]
    public void LinearMergeIsTheNormalisedWeightedSum()
    {
        var (a, b) = (Values(1), Values(2));
        var spec = new MergeSpec(MergeMethod.Linear, "w", [new MergeInput(Shape, 1f, 0), new MergeInput(Shape, 3f, 1)]);
        var output = new float[24];
        Merges.MergeTensor(spec, [Bytes(a), Bytes(b)], default, MemoryMarshal.AsBytes(output.AsSpan()));
        for (var i = 0; i < 24; i++)
        {
            Assert.Equal(((1f * a[i]) + (3f * b[i])) / 4f, output[i], 1e-6);
        }
    }

    [Theory]
    [InlineData(MergeMethod.Ties, 0.5)]
    [InlineData(MergeMethod.DareTies, 0.6)]
    [InlineData(MergeMethod.TaskArithmetic, 1.0)]
    public void AChunkedPlanEqualsMergeTensorBitForBit(MergeMethod method, double density)
    {
        var (a, b, theta) = (Values(3), Values(4), Values(5));
        var spec = new MergeSpec(method, "model.layers.0.mlp.up_proj.weight", [new MergeInput(Shape, 0.7f, 0, density), new MergeInput(Shape, 0.4f, 1, density)])
        {
            Base = Shape,
            Seed = 11,
        };
        var whole = new float[24];
        Merges.MergeTensor(spec, [Bytes(a), Bytes(b)], Bytes(theta), MemoryMarshal.AsBytes(whole.AsSpan()));

        using var plan = MergePlan.Create(spec);
        Assert.Equal(24, plan.Info.Numel);
        Assert.Equal(6, plan.Info.Cols);
        Assert.Equal([4L, 6L], plan.Info.Output.Shape);
        Assert.Equal(2, plan.Info.InputsUsed);
        Assert.True(plan.IsInputUsed(1));
        Assert.Equal(method == MergeMethod.Ties || method == MergeMethod.DareTies, plan.Info.NeedsScan);

        const int chunk = 5;
        var passes = 0;
        while (plan.NeedsScan)
        {
            for (var offset = 0; offset < 24; offset += chunk)
            {
                var count = Math.Min(chunk, 24 - offset);
                plan.Scan([Bytes(a, offset), Bytes(b, offset)], Bytes(theta, offset), offset, count);
            }

            plan.EndPass();
            passes++;
        }

        Assert.InRange(passes, plan.Info.NeedsScan ? 1 : 0, 3);
        var chunked = new float[24];
        for (var offset = 20; offset >= 0; offset -= chunk) // any order
        {
            var count = Math.Min(chunk, 24 - offset);
            plan.Apply([Bytes(a, offset), Bytes(b, offset)], Bytes(theta, offset), offset, count, MemoryMarshal.AsBytes(chunked.AsSpan(offset, count)));
        }

        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), chunked.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void BadSpecsAndShortBuffersAreRejected()
    {
        var spec = new MergeSpec(MergeMethod.Linear, "w", [new MergeInput(Shape, 1f, 0)]);
        using var plan = MergePlan.Create(spec);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => plan.Apply([Bytes(Values(1), 1)], default, 0, 24, new byte[96])).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => plan.Apply([Bytes(Values(1))], default, 0, 24, new byte[95])).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => plan.Apply([Bytes(Values(1))], default, 4, 24, new byte[96])).ParamName);

        var e = Assert.Throws<MocoException>(() => MergePlan.Create(spec with { Inputs = [new MergeInput(Shape, float.NaN, 0)] }));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains("\"w\"", e.Message, StringComparison.Ordinal);
        Assert.Equal("spec", Assert.Throws<ArgumentException>(() => MergePlan.Create(spec with { Inputs = [new MergeInput(new TensorDesc(MocoDtype.F32, new long[9]), 1f, 0)] })).ParamName);
        Assert.Equal("spec", Assert.Throws<ArgumentException>(() => MergePlan.Create(spec with { Inputs = [] })).ParamName);

        plan.Dispose();
        Assert.Throws<ObjectDisposedException>(() => plan.EndPass());
    }

    private static float[] Values(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 24).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static ReadOnlyMemory<byte> Bytes(float[] values, int offset = 0) =>
        MemoryMarshal.AsBytes(values.AsSpan(offset)).ToArray();
}
