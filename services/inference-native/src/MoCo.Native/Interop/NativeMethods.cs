using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>
/// The libmoco C ABI (include/moco.h), one declaration per exported function, marshalled by the
/// LibraryImport source generator. Strings returned by libmoco are owned by it, so they come back as
/// raw <c>byte*</c> and are copied, never freed.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "moco";

    // Runs before the first P/Invoke of this class: installs the resolver that loads libmoco from the
    // application directory.
    static NativeMethods() => NativeLibraryLoader.Register(typeof(NativeMethods).Assembly);

    [LibraryImport(LibraryName)]
    internal static partial byte* moco_status_name(MocoStatus status);

    [LibraryImport(LibraryName)]
    internal static partial byte* moco_last_error();

    [LibraryImport(LibraryName)]
    internal static partial byte* moco_version();

    [LibraryImport(LibraryName)]
    internal static partial int moco_version_number();

    [LibraryImport(LibraryName)]
    internal static partial byte* moco_build_info();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_devices(NativeDeviceInfo* devices, int capacity, out int count);

    [LibraryImport(LibraryName)]
    internal static partial NativeContextOptions moco_context_default_options();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_context_create(NativeContextOptions* options, out MocoContextHandle context);

    [LibraryImport(LibraryName)]
    internal static partial byte* moco_context_device(MocoContextHandle context);

    [LibraryImport(LibraryName)]
    internal static partial int moco_context_threads(MocoContextHandle context);

    [LibraryImport(LibraryName)]
    internal static partial void moco_context_destroy(IntPtr context);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_context_copy_bandwidth(MocoContextHandle context, ulong bytes, out double bytesPerSecond);

    /// <summary>This thread's last libmoco error message ("" if none).</summary>
    internal static string LastError() => Utf8(moco_last_error());

    /// <summary>The native name of a status ("MOCO_ERR_INVALID_ARGUMENT").</summary>
    internal static string StatusName(MocoStatus status) => Utf8(moco_status_name(status));

    /// <summary>Copies a NUL-terminated UTF-8 string owned by libmoco (never freed here); null gives "".</summary>
    internal static string Utf8(byte* text) => text is null ? string.Empty : Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;

    /// <summary>Decodes a fixed-size, NUL-terminated (or full) UTF-8 char array.</summary>
    internal static string Utf8(byte* text, int capacity)
    {
        var span = new ReadOnlySpan<byte>(text, capacity);
        var length = span.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(length < 0 ? span : span[..length]);
    }
}
