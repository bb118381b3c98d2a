namespace MoCo.Inference;

/// <summary>libmoco's device descriptions as contract messages and as one line for people.</summary>
public static class DeviceMessages
{
    /// <summary>The contract form (moco.v1.DeviceInfo).</summary>
    public static Contracts.V1.DeviceInfo ToMessage(Native.DeviceInfo d) => new()
    {
        Name = d.Name,
        Kind = d.Kind == Native.DeviceKind.Cuda ? Contracts.V1.DeviceKind.Cuda : Contracts.V1.DeviceKind.Cpu,
        Description = d.Description,
        MemoryBytes = d.MemoryBytes,
        ComputeCapability = d.ComputeCapability ?? "",
        Threads = d.Kind == Native.DeviceKind.Cpu ? d.Threads : 0,
    };

    /// <summary>"cpu: AMD EPYC 7B13, 2 threads, 23.5 GiB, Avx2 Fma".</summary>
    public static string Describe(Native.DeviceInfo d)
    {
        var memory = d.MemoryBytes / (1024.0 * 1024 * 1024);
        var compute = d.Kind == Native.DeviceKind.Cuda ? $"compute {d.ComputeCapability}, {d.Threads} SMs" : $"{d.Threads} threads";
        var features = d.Features == Native.DeviceFeatures.None ? "" : $", {d.Features.ToString().Replace(",", "", StringComparison.Ordinal)}";
        return $"{d.Name}: {d.Description}, {compute}, {memory:F1} GiB{features}";
    }
}
