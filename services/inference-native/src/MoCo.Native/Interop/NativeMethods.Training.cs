using System.Runtime.InteropServices;
using MoCo.Native.Models;
using MoCo.Native.Training;

namespace MoCo.Native.Interop;

// moco.h "Training": LoRA or full fine-tuning of a loaded causal LM on the CPU or a GPU.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial NativeTrainerOptions moco_trainer_default_options();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_trainer_create(ModelHandle model, NativeTrainerOptions* options, out TrainerHandle trainer);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_trainer_add_batch(TrainerHandle trainer, int lossKind, NativeTrainExample* examples, int count);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_trainer_step(TrainerHandle trainer, NativeTrainStepStats* stats);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_trainer_save_adapter(TrainerHandle trainer, string directory);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_trainer_save_model(TrainerHandle trainer, string baseDirectory, string directory);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_trainer_save_state(TrainerHandle trainer, string path);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial MocoStatus moco_trainer_load_state(TrainerHandle trainer, string path);

    [LibraryImport(LibraryName)]
    internal static partial void moco_trainer_destroy(IntPtr trainer);
}
