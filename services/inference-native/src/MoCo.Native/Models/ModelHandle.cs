using MoCo.Native.Interop;

namespace MoCo.Native.Models;

/// <summary>
/// Owns one native <c>moco_model*</c> and a reference on the context it was loaded onto (moco.h: the
/// context must outlive the model). Adapters and KV caches hold references on this handle in turn.
/// </summary>
internal sealed class ModelHandle : ChildHandle
{
    /// <summary>Creates an invalid handle; the marshaller fills it in from <c>moco_model_load</c>.</summary>
    public ModelHandle()
    {
    }

    protected override void Destroy(IntPtr native) => NativeMethods.moco_model_destroy(native);
}
