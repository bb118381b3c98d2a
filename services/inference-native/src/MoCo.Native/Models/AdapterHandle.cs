using MoCo.Native.Interop;

namespace MoCo.Native.Models;

/// <summary>Owns one native <c>moco_adapter*</c> and a reference on its model, which must outlive it.</summary>
internal sealed class AdapterHandle : ChildHandle
{
    /// <summary>Creates an invalid handle; the marshaller fills it in from <c>moco_adapter_load</c>.</summary>
    public AdapterHandle()
    {
    }

    protected override void Destroy(IntPtr native) => NativeMethods.moco_adapter_destroy(native);
}
