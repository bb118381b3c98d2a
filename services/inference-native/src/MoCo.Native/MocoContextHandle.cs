using System.Runtime.InteropServices;
using MoCo.Native.Interop;

namespace MoCo.Native;

/// <summary>
/// Owns one native <c>moco_context*</c>. Released exactly once, by <see cref="SafeHandle.Dispose()"/> or the
/// finalizer, through <c>moco_context_destroy</c>; the SafeHandle reference count keeps the context
/// alive while a native call that uses it is running.
/// </summary>
public sealed class MocoContextHandle : SafeHandle
{
    private int _releaseCount;

    /// <summary>Creates an invalid handle (the marshaller fills it in from <c>moco_context_create</c>).</summary>
    public MocoContextHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>How many times <see cref="ReleaseHandle"/> ran (0 or 1); for tests.</summary>
    internal int ReleaseCount => Volatile.Read(ref _releaseCount);

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        Interlocked.Increment(ref _releaseCount);
        NativeMethods.moco_context_destroy(handle);
        return true;
    }
}
