using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>
/// One reference on a parent handle, held across the native create call of a child and handed to the
/// child on success (<see cref="TransferTo"/>), released on failure (<see cref="Dispose"/>). Taking it
/// throws <see cref="ObjectDisposedException"/> when the parent is already disposed.
/// </summary>
internal ref struct ParentReference
{
    private SafeHandle? _parent;

    public ParentReference(SafeHandle parent)
    {
        var added = false;
        parent.DangerousAddRef(ref added);
        _parent = parent;
    }

    /// <summary>Gives the reference to <paramref name="child"/>, which releases it when it is destroyed.</summary>
    public void TransferTo(ChildHandle child)
    {
        child.AdoptParent(_parent!);
        _parent = null;
    }

    /// <summary>Releases the reference unless it was transferred.</summary>
    public void Dispose()
    {
        _parent?.DangerousRelease();
        _parent = null;
    }
}
