using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>libmoco's Philox4x32-10 block function (<c>moco_philox4x32_10</c>): the counter-based generator behind L5 draws and M5 masks.</summary>
public static unsafe class Philox
{
    /// <summary>Writes philox4x32_10(counter, key) to <paramref name="output"/>.</summary>
    /// <param name="counter">4 words.</param>
    /// <param name="key">2 words.</param>
    /// <param name="output">At least 4 words.</param>
    public static void Block(ReadOnlySpan<uint> counter, ReadOnlySpan<uint> key, Span<uint> output)
    {
        ManagedPhilox.CheckBlockArguments(counter, key, output);
        fixed (uint* c = counter)
        fixed (uint* k = key)
        fixed (uint* o = output)
        {
            NativeMethods.moco_philox4x32_10(c, k, o);
        }
    }
}
