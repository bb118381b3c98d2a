using System.Runtime.InteropServices;
using MoCo.Native.Interop;

namespace MoCo.Native.Merge;

/// <summary>Owns one native <c>moco_merge_plan*</c>; released through <c>moco_merge_plan_destroy</c>.</summary>
internal sealed class MergePlanHandle : SafeHandle
{
    /// <summary>Creates an invalid handle; the marshaller fills it in from <c>moco_merge_plan_create</c>.</summary>
    public MergePlanHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.moco_merge_plan_destroy(handle);
        return true;
    }
}
