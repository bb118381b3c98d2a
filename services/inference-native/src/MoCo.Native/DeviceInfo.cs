namespace MoCo.Native;

/// <summary>Kind of a compute device (<c>moco_device_kind</c>).</summary>
public enum DeviceKind
{
    /// <summary>The host CPU (<c>MOCO_DEVICE_CPU</c>).</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU through CUDA (<c>MOCO_DEVICE_CUDA</c>).</summary>
    Cuda = 1,
}

/// <summary>Device feature flags (<c>moco_device_info.features</c>); CPU features are detected at run time.</summary>
[Flags]
public enum DeviceFeatures : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The CPU and operating system support AVX2 (<c>MOCO_CPU_AVX2</c>).</summary>
    Avx2 = 1u << 0,

    /// <summary>The CPU and operating system support AVX-512 Foundation (<c>MOCO_CPU_AVX512F</c>).</summary>
    Avx512F = 1u << 1,

    /// <summary>The CPU and operating system support FMA3 (<c>MOCO_CPU_FMA</c>).</summary>
    Fma = 1u << 2,

    /// <summary>The CPU supports Arm NEON / Advanced SIMD (<c>MOCO_CPU_NEON</c>).</summary>
    Neon = 1u << 3,

    /// <summary>libmoco was built with OpenBLAS for this device (<c>MOCO_HAS_OPENBLAS</c>).</summary>
    OpenBlas = 1u << 8,
}

/// <summary>One compute device libmoco can run on (<c>moco_device_info</c>).</summary>
/// <param name="Name">The device string <see cref="MocoContext.Create"/> accepts: "cpu", "cuda:0", ...</param>
/// <param name="Kind">CPU or CUDA.</param>
/// <param name="Description">CPU model name or GPU product name.</param>
/// <param name="MemoryBytes">CPU: physical RAM; CUDA: total device memory.</param>
/// <param name="Threads">CPU: logical cores usable by this process (affinity and cgroup quota applied);
/// CUDA: streaming multiprocessors.</param>
/// <param name="ComputeCapability">CUDA compute capability ("8.0", "9.0"); null for the CPU.</param>
/// <param name="Features">Feature flags.</param>
public sealed record DeviceInfo(
    string Name,
    DeviceKind Kind,
    string Description,
    ulong MemoryBytes,
    int Threads,
    string? ComputeCapability,
    DeviceFeatures Features);
