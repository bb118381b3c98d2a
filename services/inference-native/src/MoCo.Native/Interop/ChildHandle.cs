using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>
/// A native handle created from another one (an adapter or KV cache from a model, a model from a context)
/// whose parent must outlive it. The child holds one <see cref="SafeHandle.DangerousAddRef"/> on its parent
/// until its own native object is destroyed, so disposing the parent first only marks it closed: the
/// parent's native destroy runs after the last child's, whatever order callers dispose or the finalizer
/// runs in.
/// </summary>
internal abstract class ChildHandle : SafeHandle
{
    private SafeHandle? _parent;

    protected ChildHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Takes over a reference on <paramref name="parent"/> that the caller already added.</summary>
    internal void AdoptParent(SafeHandle parent) => _parent = parent;

    /// <inheritdoc />
    protected sealed override bool ReleaseHandle()
    {
        Destroy(handle);
        _parent?.DangerousRelease();
        _parent = null;
        return true;
    }

    /// <summary>Calls the native destroy function of this handle's type.</summary>
    protected abstract void Destroy(IntPtr native);
}
