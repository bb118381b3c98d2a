using System.Runtime.InteropServices;
using MoCo.Native.Merge;

namespace MoCo.Native.Interop;

// moco.h "Weight merges": specs, streamed plans and whole-tensor merges.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial NativeMergeSpec moco_merge_default_spec();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_create(NativeMergeSpec* spec, out MergePlanHandle plan);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_get_info(MergePlanHandle plan, NativeMergePlanInfo* info);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_input_used(MergePlanHandle plan, int input, out int used);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_scan(MergePlanHandle plan, void** inputs, void* baseTensor, long offset, long count);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_end_pass(MergePlanHandle plan, out int more);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_plan_apply(MergePlanHandle plan, void** inputs, void* baseTensor, long offset, long count, void* output);

    [LibraryImport(LibraryName)]
    internal static partial void moco_merge_plan_destroy(IntPtr plan);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_tensor(NativeMergeSpec* spec, void** inputs, void* baseTensor, void* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_merge_tensor_on(MocoContextHandle context, NativeMergeSpec* spec, void** inputs, void* baseTensor, void* output);
}
