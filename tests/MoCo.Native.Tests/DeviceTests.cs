using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MoCo.Native.Tests;

public class DeviceTests
{
    private static DeviceInfo Cpu => MocoEngine.Devices[0];

    [Fact]
    public void ExactlyOneCpuDeviceAndItIsFirst()
    {
        var devices = MocoEngine.Devices;
        Assert.NotEmpty(devices);
        Assert.Equal("cpu", devices[0].Name);
        Assert.Equal(DeviceKind.Cpu, devices[0].Kind);
        Assert.Single(devices, d => d.Kind == DeviceKind.Cpu);
        Assert.Single(devices, d => d.Name == "cpu");
    }

    [Fact]
    public void CpuThreadsMatchTheRuntimesProcessorCount()
    {
        // libmoco and the .NET runtime both count the logical cores this process may use: the affinity
        // mask, lowered by a cgroup CPU quota (rounded up). DOTNET_PROCESSOR_COUNT overrides only .NET's.
        if (Environment.GetEnvironmentVariable("DOTNET_PROCESSOR_COUNT") is { Length: > 0 })
        {
            Assert.InRange(Cpu.Threads, 1, 4096);
        }
        else
        {
            Assert.Equal(Environment.ProcessorCount, Cpu.Threads);
        }
    }

    [Fact]
    public void CpuDescribesItself()
    {
        Assert.False(string.IsNullOrWhiteSpace(Cpu.Description));
        Assert.True(Cpu.MemoryBytes > 0);
        Assert.Null(Cpu.ComputeCapability);
    }

    [Fact]
    public void CpuFeaturesAgreeWithTheRuntime()
    {
        // .NET can be told to ignore an instruction set but never reports one the CPU lacks, so each
        // feature the runtime sees must be one libmoco sees.
        var features = Cpu.Features;
        if (Avx2.IsSupported)
        {
            Assert.True(features.HasFlag(DeviceFeatures.Avx2), features.ToString());
        }

        if (Fma.IsSupported)
        {
            Assert.True(features.HasFlag(DeviceFeatures.Fma), features.ToString());
        }

        if (Avx512F.IsSupported)
        {
            Assert.True(features.HasFlag(DeviceFeatures.Avx512F), features.ToString());
        }

        if (AdvSimd.IsSupported)
        {
            Assert.True(features.HasFlag(DeviceFeatures.Neon), features.ToString());
        }

        if (X86Base.IsSupported)
        {
            Assert.False(features.HasFlag(DeviceFeatures.Neon), features.ToString());
        }

        Assert.Equal(MocoEngine.BuildInfo.Contains("openblas=on", StringComparison.Ordinal), features.HasFlag(DeviceFeatures.OpenBlas));
    }

    [Fact]
    public void CudaDevicesFollowTheCpuInIndexOrder()
    {
        var cuda = MocoEngine.Devices.Skip(1).ToList();
        if (MocoEngine.BuildInfo.Contains("cuda=off", StringComparison.Ordinal))
        {
            Assert.Empty(cuda);
        }

        for (var i = 0; i < cuda.Count; i++)
        {
            Assert.Equal(DeviceKind.Cuda, cuda[i].Kind);
            Assert.Equal($"cuda:{i}", cuda[i].Name);
            Assert.Matches(@"^\d+\.\d+$", cuda[i].ComputeCapability);
            Assert.True(cuda[i].Threads > 0);
            Assert.True(cuda[i].MemoryBytes > 0);
        }
    }

    [Fact]
    public void DevicesAreCachedAndReadOnly()
    {
        Assert.Same(MocoEngine.Devices, MocoEngine.Devices);
        Assert.Throws<NotSupportedException>(() => ((IList<DeviceInfo>)MocoEngine.Devices).Add(Cpu));
    }
}
