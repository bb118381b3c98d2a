using MoCo.Native.Interop;

namespace MoCo.Native.Inference;

/// <summary>Owns one native <c>moco_kv_cache*</c> and a reference on its model, which must outlive it.</summary>
internal sealed class KvCacheHandle : ChildHandle
{
    /// <summary>Creates an invalid handle; the marshaller fills it in from <c>moco_kv_cache_create</c>.</summary>
    public KvCacheHandle()
    {
    }

    protected override void Destroy(IntPtr native) => NativeMethods.moco_kv_cache_destroy(native);
}
