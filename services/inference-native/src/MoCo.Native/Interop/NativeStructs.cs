using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_device_info</c> (moco.h). 192 bytes; the layout is frozen.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeDeviceInfo
{
    public const int NameSize = 32;
    public const int DescriptionSize = 128;

    public fixed byte Name[NameSize];
    public int Kind;
    public fixed byte Description[DescriptionSize];
    public ulong MemoryBytes;
    public int Threads;
    public int CcMajor;
    public int CcMinor;
    public uint Features;
}

/// <summary>Mirror of <c>moco_context_options</c> (moco.h), version 1.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeContextOptions
{
    /// <summary>sizeof(moco_context_options) as this binding knows it.</summary>
    public int StructSize;

    /// <summary>NUL-terminated UTF-8 device string, or null for "auto".</summary>
    public byte* Device;

    public int Threads;
}
