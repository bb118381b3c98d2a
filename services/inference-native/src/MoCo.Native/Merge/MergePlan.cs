using MoCo.Native.Interop;

namespace MoCo.Native.Merge;

/// <summary>
/// One tensor's merge, streamed chunk by chunk (<c>moco_merge_plan</c>) so tensors larger than memory merge
/// from memory-mapped files. While <see cref="NeedsScan"/>, feed every chunk in increasing contiguous order to
/// <see cref="Scan"/> and call <see cref="EndPass"/>; then <see cref="Apply"/> chunks in any order. Results
/// never depend on chunk sizes and equal <see cref="Merges.MergeTensor"/> bit for bit.
/// </summary>
/// <remarks>
/// Chunk buffers point at the element of each input (and of the base) that output element <c>offset</c>
/// reads: the same offset unless an embedding is cut (M2/M3), when a chunk must span the rows the output chunk
/// touches. Skipped inputs (<see cref="IsInputUsed"/> false) may be empty. Scanning is NOT thread-safe;
/// <see cref="Apply"/> may run from several threads at once once scanning is done.
/// </remarks>
public sealed unsafe class MergePlan : IDisposable
{
    private readonly MergePlanHandle _handle;
    private readonly bool[] _used;

    private MergePlan(MergePlanHandle handle, MergeSpec spec)
    {
        _handle = handle;
        Spec = spec;
        var info = new NativeMergePlanInfo { StructSize = sizeof(NativeMergePlanInfo) };
        MocoException.ThrowIfFailed(NativeMethods.moco_merge_plan_get_info(handle, &info), "moco_merge_plan_get_info");
        Info = new MergePlanInfo(NativeMergeSpecBuffer.FromNative(info.Output), info.Numel, info.Cols, info.InputsUsed, info.NeedsScan != 0);
        NeedsScan = Info.NeedsScan;
        _used = new bool[spec.Inputs.Count];
        for (var i = 0; i < _used.Length; i++)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_merge_plan_input_used(handle, i, out var used), "moco_merge_plan_input_used");
            _used[i] = used != 0;
        }
    }

    /// <summary>The spec the plan was created from.</summary>
    public MergeSpec Spec { get; }

    /// <summary>Output shape and the plan's needs, as created.</summary>
    public MergePlanInfo Info { get; }

    /// <summary>Whether another scan pass must run before <see cref="Apply"/> (TIES takes 2 or 3, others 1 or none).</summary>
    public bool NeedsScan { get; private set; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Validates <paramref name="spec"/> and prepares the merge.</summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/>: an unknown method/dtype, a weight not finite, a field that does
    /// not apply set to a non-default value, a shape mismatch (naming the tensor and both shapes), TIES k = 0.
    /// </exception>
    public static MergePlan Create(MergeSpec spec)
    {
        using var native = NativeMergeSpecBuffer.Create(spec);
        var status = NativeMethods.moco_merge_plan_create(native.Spec, out var handle);
        if (status != MocoStatus.Ok)
        {
            handle.Dispose();
            MocoException.ThrowIfFailed(status, "moco_merge_plan_create");
        }

        try
        {
            return new MergePlan(handle, spec);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>False when M3 skipped input <paramref name="input"/> (a shape mismatch the caller should report).</summary>
    public bool IsInputUsed(int input)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(input, _used.Length);
        return _used[input];
    }

    /// <summary>Feeds output elements [offset, offset + count) to the current scan pass.</summary>
    public void Scan(IReadOnlyList<ReadOnlyMemory<byte>> inputs, ReadOnlyMemory<byte> baseTensor, long offset, long count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        CheckChunk(inputs, baseTensor, offset, count);
        using var pinned = PinnedBuffers.Pin(inputs);
        using var pinnedBase = baseTensor.Pin();
        MocoException.ThrowIfFailed(
            NativeMethods.moco_merge_plan_scan(_handle, pinned.Pointers, pinnedBase.Pointer, offset, count),
            "moco_merge_plan_scan");
    }

    /// <summary>Ends a scan pass; returns whether another pass is needed.</summary>
    public bool EndPass()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        MocoException.ThrowIfFailed(NativeMethods.moco_merge_plan_end_pass(_handle, out var more), "moco_merge_plan_end_pass");
        NeedsScan = more != 0;
        return NeedsScan;
    }

    /// <summary>Writes output elements [offset, offset + count) into <paramref name="output"/> (in the output dtype).</summary>
    /// <exception cref="MocoException"><see cref="MocoStatus.Numeric"/> for a non-finite or out-of-range result, naming the element.</exception>
    public void Apply(IReadOnlyList<ReadOnlyMemory<byte>> inputs, ReadOnlyMemory<byte> baseTensor, long offset, long count, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        CheckChunk(inputs, baseTensor, offset, count);
        SpanChecks.AtLeast(output.Length, count * Spec.OutputDtype.ElementSize(), nameof(output), $"{count} {Spec.OutputDtype} elements (bytes)");
        using var pinned = PinnedBuffers.Pin(inputs);
        using var pinnedBase = baseTensor.Pin();
        MocoStatus status;
        fixed (byte* o = output)
        {
            status = NativeMethods.moco_merge_plan_apply(_handle, pinned.Pointers, pinnedBase.Pointer, offset, count, o);
        }

        MocoException.ThrowIfFailed(status, "moco_merge_plan_apply");
    }

    /// <summary>Destroys the plan; no other call on it may be running. Safe to call more than once.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Checks every used input's and the base's buffer against the elements a chunk reads through the column mapping.</summary>
    internal void CheckChunk(IReadOnlyList<ReadOnlyMemory<byte>> inputs, ReadOnlyMemory<byte> baseTensor, long offset, long count)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != Spec.Inputs.Count)
        {
            throw new ArgumentException($"has {inputs.Count} buffers for {Spec.Inputs.Count} inputs", nameof(inputs));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Info.Numel - offset);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (_used[i])
            {
                var tensor = Spec.Inputs[i].Tensor;
                SpanChecks.AtLeast(inputs[i].Length, ChunkElements(offset, count, tensor.Cols) * tensor.Dtype.ElementSize(), nameof(inputs),
                    $"input {i}'s chunk at output element {offset} of {count} elements (bytes)");
            }
        }

        if (Spec.Base is { } b && Spec.Method != MergeMethod.Linear)
        {
            SpanChecks.AtLeast(baseTensor.Length, ChunkElements(offset, count, b.Cols) * b.Dtype.ElementSize(), nameof(baseTensor),
                $"the base's chunk at output element {offset} of {count} elements (bytes)");
        }
    }

    // Output element o reads element (o / cols) * inCols + o % cols of a tensor with rows of inCols.
    private long ChunkElements(long offset, long count, long inCols)
    {
        if (count == 0)
        {
            return 0;
        }

        var cols = Info.Cols;
        var last = offset + count - 1;
        return ((last / cols * inCols) + (last % cols)) - ((offset / cols * inCols) + (offset % cols)) + 1;
    }
}
