using MoCo.Native.Interop;

namespace MoCo.Native.Training;

/// <summary>Owns one native <c>moco_trainer*</c> and a reference on its model, which must outlive it.</summary>
internal sealed class TrainerHandle : ChildHandle
{
    /// <summary>Creates an invalid handle; the marshaller fills it in from <c>moco_trainer_create</c>.</summary>
    public TrainerHandle()
    {
    }

    protected override void Destroy(IntPtr native) => NativeMethods.moco_trainer_destroy(native);
}
