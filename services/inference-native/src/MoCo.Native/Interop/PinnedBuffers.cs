using System.Buffers;
using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>
/// Pins a list of caller buffers for one native call and exposes them as the <c>const T* const*</c> array the
/// kernels take; an empty buffer becomes NULL (the kernels' "not read" inputs). The handle array comes from
/// <see cref="ArrayPool{T}"/> and the pointer array from native memory, so repeated calls allocate nothing on
/// the managed heap.
/// </summary>
internal readonly unsafe struct PinnedBuffers : IDisposable
{
    private readonly MemoryHandle[] _handles;
    private readonly int _count;

    private PinnedBuffers(MemoryHandle[] handles, int count, void** pointers)
    {
        _handles = handles;
        _count = count;
        Pointers = pointers;
    }

    /// <summary>The pinned addresses, one per buffer; valid until <see cref="Dispose"/>.</summary>
    public void** Pointers { get; }

    public static PinnedBuffers Pin<T>(IReadOnlyList<ReadOnlyMemory<T>> buffers)
    {
        var count = buffers.Count;
        var handles = ArrayPool<MemoryHandle>.Shared.Rent(Math.Max(count, 1));
        var pointers = (void**)NativeMemory.Alloc((nuint)Math.Max(count, 1), (nuint)sizeof(void*));
        var pinned = 0;
        try
        {
            for (; pinned < count; pinned++)
            {
                handles[pinned] = buffers[pinned].Pin();
                pointers[pinned] = handles[pinned].Pointer;
            }
        }
        catch
        {
            new PinnedBuffers(handles, pinned, pointers).Dispose();
            throw;
        }

        return new PinnedBuffers(handles, count, pointers);
    }

    public void Dispose()
    {
        for (var i = 0; i < _count; i++)
        {
            _handles[i].Dispose();
            _handles[i] = default;
        }

        ArrayPool<MemoryHandle>.Shared.Return(_handles);
        NativeMemory.Free(Pointers);
    }
}
