using System.Text;
using MoCo.Native.Interop;

namespace MoCo.Native;

/// <summary>
/// A libmoco context: the device and host-thread budget that models and sequences run on. Owns a
/// native <c>moco_context</c> through <see cref="MocoContextHandle"/>; dispose it to release the context
/// (disposing twice is safe; the finalizer releases a forgotten one).
/// </summary>
public sealed unsafe class MocoContext : IDisposable
{
    private readonly MocoContextHandle _handle;

    // Set by Dispose. The handle alone cannot tell: while children hold references on it, SafeHandle keeps it
    // open (IsClosed false) until the last one is released.
    private int _disposed;

    private MocoContext(MocoContextHandle handle)
    {
        _handle = handle;
        Device = NativeMethods.Utf8(NativeMethods.moco_context_device(handle));
        Threads = NativeMethods.moco_context_threads(handle);
    }

    /// <summary>The device in canonical form: "cpu" or "cuda:N" ("auto" resolved).</summary>
    public string Device { get; }

    /// <summary>Host threads the context uses (0 at creation resolves to every usable core).</summary>
    public int Threads { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The native handle, for the bindings of later handles that take a context.</summary>
    internal MocoContextHandle Handle => _handle;

    /// <summary>
    /// Creates a context.
    /// </summary>
    /// <param name="device">"cpu", "cuda:N" or "auto"; null means "auto" (the first CUDA device, else the CPU).</param>
    /// <param name="threads">Host threads: 0 for every usable core, else 1 to 1024.</param>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> for an unknown device (the message lists the valid ones) or a
    /// thread count out of range; <see cref="MocoStatus.Unimplemented"/> for "cuda:N" when libmoco was built
    /// without CUDA; <see cref="MocoStatus.NotFound"/> for a CUDA index beyond the visible devices.
    /// </exception>
    public static MocoContext Create(string? device = null, int threads = 0)
    {
        byte[]? deviceUtf8 = null;
        if (device is not null)
        {
            if (device.Contains('\0', StringComparison.Ordinal))
            {
                throw new MocoException(MocoStatus.InvalidArgument,
                    "MocoContext.Create: device contains a NUL character; pass \"cpu\", \"cuda:N\" or \"auto\"");
            }

            deviceUtf8 = new byte[Encoding.UTF8.GetByteCount(device) + 1];
            Encoding.UTF8.GetBytes(device, deviceUtf8);
        }

        MocoStatus status;
        MocoContextHandle handle;
        fixed (byte* devicePtr = deviceUtf8)
        {
            var options = new NativeContextOptions
            {
                StructSize = sizeof(NativeContextOptions),
                Device = devicePtr,
                Threads = threads,
            };
            status = NativeMethods.moco_context_create(&options, out handle);
        }

        if (status != MocoStatus.Ok)
        {
            handle.Dispose();
            MocoException.ThrowIfFailed(status, "moco_context_create");
        }

        return new MocoContext(handle);
    }

    /// <summary>
    /// The copy bandwidth of this context's device in bytes read plus written per second: <paramref name="bytes"/>
    /// copied between two buffers of the device's memory (on the CPU by <see cref="Threads"/> threads), best of three
    /// (<c>moco_context_copy_bandwidth</c>). The figure a batch-1 decode step's weight reads are bounded by; choose
    /// <paramref name="bytes"/> well above the last-level cache.
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> for <paramref name="bytes"/> outside 1 MiB to 64 GiB;
    /// <see cref="MocoStatus.OutOfMemory"/> when the device cannot hold two buffers of that size.
    /// </exception>
    public double CopyBandwidth(long bytes)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        MocoException.ThrowIfFailed(NativeMethods.moco_context_copy_bandwidth(_handle, (ulong)bytes, out var bandwidth), "moco_context_copy_bandwidth");
        return bandwidth;
    }

    /// <summary>
    /// Gives up this reference to the native context; it is destroyed once no model loaded onto it is alive.
    /// Safe to call more than once.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _handle.Dispose();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> has run.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <inheritdoc />
    public override string ToString() => $"MocoContext({Device}, {Threads} threads)";
}
