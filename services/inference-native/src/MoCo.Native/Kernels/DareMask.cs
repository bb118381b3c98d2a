using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>
/// The DARE keep mask (M5, <c>moco_dare_mask</c>) exactly as the merge kernels draw it, for reporting or
/// checking which task-vector elements a DARE merge keeps; the draw depends only on (seed, tensor name,
/// model index, element index), never on chunking. Thread-safe.
/// </summary>
public static unsafe class DareMask
{
    /// <summary>
    /// Fills <paramref name="keep"/> (one byte per element, 1 = kept) for elements [offset, offset + keep.Length)
    /// of input <paramref name="modelIndex"/>'s task vector of <paramref name="tensorName"/>. density &gt;= 1 keeps
    /// all, &lt;= 0 none.
    /// </summary>
    public static void Compute(ulong seed, int modelIndex, string tensorName, long offset, double density, Span<byte> keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(modelIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (double.IsNaN(density))
        {
            throw new ArgumentOutOfRangeException(nameof(density), density, "must not be NaN");
        }

        var name = Utf8Text.Encode(tensorName, nameof(tensorName));
        MocoStatus status;
        fixed (byte* n = name)
        fixed (byte* k = keep)
        {
            status = NativeMethods.moco_dare_mask(seed, modelIndex, n, offset, keep.Length, density, k);
        }

        MocoException.ThrowIfFailed(status, "moco_dare_mask");
    }
}
