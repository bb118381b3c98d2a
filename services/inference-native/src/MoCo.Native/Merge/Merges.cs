using MoCo.Native.Interop;

namespace MoCo.Native.Merge;

/// <summary>Whole-tensor merges (<c>moco_merge_tensor</c>), for tensors that fit in (mapped) memory.</summary>
public static unsafe class Merges
{
    /// <summary>
    /// Merges complete tensors in one call: each buffer holds its whole tensor (skipped inputs may be empty),
    /// <paramref name="output"/> receives the whole output. Bit-identical to any chunked use of <see cref="MergePlan"/>.
    /// The spec is validated through a plan first, so a short buffer fails before native code reads it.
    /// </summary>
    /// <exception cref="MocoException">As <see cref="MergePlan.Create"/> and <see cref="MergePlan.Apply"/>.</exception>
    public static void MergeTensor(MergeSpec spec, IReadOnlyList<ReadOnlyMemory<byte>> inputs, ReadOnlyMemory<byte> baseTensor, Span<byte> output)
    {
        using (var plan = MergePlan.Create(spec))
        {
            plan.CheckChunk(inputs, baseTensor, 0, plan.Info.Numel);
            SpanChecks.AtLeast(output.Length, plan.Info.Numel * spec.OutputDtype.ElementSize(), nameof(output), $"{plan.Info.Numel} {spec.OutputDtype} elements (bytes)");
        }

        using var native = NativeMergeSpecBuffer.Create(spec);
        using var pinned = PinnedBuffers.Pin(inputs);
        using var pinnedBase = baseTensor.Pin();
        MocoStatus status;
        fixed (byte* o = output)
        {
            status = NativeMethods.moco_merge_tensor(native.Spec, pinned.Pointers, pinnedBase.Pointer, o);
        }

        MocoException.ThrowIfFailed(status, "moco_merge_tensor");
    }
}
