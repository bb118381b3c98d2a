using MoCo.Native.Interop;

namespace MoCo.Native;

/// <summary>Process-wide facts about the loaded libmoco: version, build options and devices.</summary>
public static unsafe class MocoEngine
{
    private static IReadOnlyList<DeviceInfo>? _devices;

    /// <summary>libmoco's semantic version ("0.1.0"), the VERSION of its CMake project.</summary>
    public static string Version => NativeMethods.Utf8(NativeMethods.moco_version());

    /// <summary>The version as major * 1000000 + minor * 1000 + patch.</summary>
    public static int VersionNumber => NativeMethods.moco_version_number();

    /// <summary>
    /// What libmoco was built with, as "key=value" pairs separated by "; " (version, compiler,
    /// build_type, os, arch, simd, cuda, cuda_archs, openblas).
    /// </summary>
    public static string BuildInfo => NativeMethods.Utf8(NativeMethods.moco_build_info());

    /// <summary>
    /// The devices this process can use: the CPU first (always), then each visible CUDA device.
    /// Detected once per process.
    /// </summary>
    public static IReadOnlyList<DeviceInfo> Devices =>
        LazyInitializer.EnsureInitialized(ref _devices, QueryDevices);

    private static IReadOnlyList<DeviceInfo> QueryDevices()
    {
        MocoException.ThrowIfFailed(NativeMethods.moco_devices(null, 0, out var total), "moco_devices");
        var native = new NativeDeviceInfo[total];
        int count;
        fixed (NativeDeviceInfo* p = native)
        {
            MocoException.ThrowIfFailed(NativeMethods.moco_devices(p, native.Length, out count), "moco_devices");
        }

        var devices = new List<DeviceInfo>(Math.Min(count, native.Length));
        for (var i = 0; i < Math.Min(count, native.Length); i++)
        {
            devices.Add(ToDeviceInfo(ref native[i]));
        }

        return devices.AsReadOnly();
    }

    private static DeviceInfo ToDeviceInfo(ref NativeDeviceInfo d)
    {
        var kind = (DeviceKind)d.Kind;
        fixed (byte* name = d.Name)
        fixed (byte* description = d.Description)
        {
            return new DeviceInfo(
                Name: NativeMethods.Utf8(name, NativeDeviceInfo.NameSize),
                Kind: kind,
                Description: NativeMethods.Utf8(description, NativeDeviceInfo.DescriptionSize),
                MemoryBytes: d.MemoryBytes,
                Threads: d.Threads,
                ComputeCapability: kind == DeviceKind.Cuda ? $"{d.CcMajor}.{d.CcMinor}" : null,
                Features: (DeviceFeatures)d.Features);
        }
    }
}
