using System.Runtime.InteropServices;
using MoCo.Native.Models;

namespace MoCo.Native.Interop;

// moco.h "Models": loading checkpoints and PEFT LoRA adapters.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial NativeModelOptions moco_model_default_options();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_model_load(MocoContextHandle context, string directory, NativeModelOptions* options, out ModelHandle model);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_model_get_info(ModelHandle model, NativeModelInfo* info);

    [LibraryImport(LibraryName)]
    internal static partial void moco_model_destroy(IntPtr model);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_adapter_load(ModelHandle model, string directory, out AdapterHandle adapter);

    [LibraryImport(LibraryName)]
    internal static partial void moco_adapter_destroy(IntPtr adapter);
}
