using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>M12: turns scores into mixing weights (<c>moco_softmax_weights</c>), with exp and the sum in double, index order.</summary>
public static unsafe class SoftmaxWeights
{
    /// <summary>output[i] = softmax(x)[i] rounded to f32; <paramref name="output"/> may be the same memory as <paramref name="x"/>.</summary>
    public static void Compute(ReadOnlySpan<float> x, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfZero(x.Length, nameof(x));
        SpanChecks.AtLeast(output.Length, x.Length, nameof(output), "one weight per score");
        MocoStatus status;
        fixed (float* px = x)
        fixed (float* po = output)
        {
            status = NativeMethods.moco_softmax_weights(px, x.Length, po);
        }

        MocoException.ThrowIfFailed(status, "moco_softmax_weights");
    }
}
