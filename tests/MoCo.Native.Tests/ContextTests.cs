namespace MoCo.Native.Tests;

public class ContextTests
{
    private static bool CudaCompiledIn => MocoEngine.BuildInfo.Contains("cuda=on", StringComparison.Ordinal);

    [Fact]
    public void CreateOnCpuWithExplicitThreads()
    {
        using var context = MocoContext.Create("cpu", threads: 2);
        Assert.Equal("cpu", context.Device);
        Assert.Equal(2, context.Threads);
        Assert.False(context.IsDisposed);
    }

    [Fact]
    public void DefaultsResolveAutoAndAllCores()
    {
        using var context = MocoContext.Create();
        var expected = MocoEngine.Devices.Count > 1 ? "cuda:0" : "cpu";
        Assert.Equal(expected, context.Device);
        Assert.Equal(MocoEngine.Devices[0].Threads, context.Threads);
    }

    [Fact]
    public void AutoIsTheSameAsNull()
    {
        using var auto = MocoContext.Create("auto");
        using var none = MocoContext.Create(null);
        Assert.Equal(none.Device, auto.Device);
    }

    [Fact]
    public void DisposeReleasesTheNativeContextExactlyOnce()
    {
        var context = MocoContext.Create("cpu", 1);
        var handle = context.Handle;
        Assert.Equal(0, handle.ReleaseCount);

        context.Dispose();
        context.Dispose();
        handle.Dispose();

        Assert.True(context.IsDisposed);
        Assert.True(handle.IsClosed);
        Assert.Equal(1, handle.ReleaseCount);
        // Cached properties stay readable after dispose.
        Assert.Equal("cpu", context.Device);
    }

    [Fact]
    public void CopyBandwidthIsAPlausibleFigureAndRefusesSizesOutOfRange()
    {
        using var context = MocoContext.Create("cpu", 2);
        var bandwidth = context.CopyBandwidth(4 << 20);
        Assert.InRange(bandwidth, 1e7, 1e15);
        var tooSmall = Assert.Throws<MocoException>(() => context.CopyBandwidth((1 << 20) - 1));
        Assert.Equal(MocoStatus.InvalidArgument, tooSmall.Status);
        Assert.Contains("1 MiB to 64 GiB", tooSmall.Message, StringComparison.Ordinal);
        context.Dispose();
        Assert.Throws<ObjectDisposedException>(() => context.CopyBandwidth(4 << 20));
    }

    [Fact]
    public void NativeCallsOnADisposedHandleAreRefused()
    {
        var context = MocoContext.Create("cpu", 1);
        var handle = context.Handle;
        context.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Interop.NativeMethods.moco_context_threads(handle));
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("")]
    [InlineData("CPU")]
    [InlineData("cuda")]
    [InlineData("cuda:x")]
    public void UnknownDeviceIsInvalidArgumentListingValidDevices(string device)
    {
        var e = Assert.Throws<MocoException>(() => MocoContext.Create(device));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains($"unknown device \"{device}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("valid devices: auto, cpu", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedNulIsInvalidArgument()
    {
        var e = Assert.Throws<MocoException>(() => MocoContext.Create("cpu\0junk"));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
    }

    [Fact]
    public void CudaDeviceWithoutCudaSupportIsUnimplemented()
    {
        if (CudaCompiledIn)
        {
            // A CUDA build reports an index past the visible devices as NotFound instead.
            var n = MocoEngine.Devices.Count(d => d.Kind == DeviceKind.Cuda);
            var notFound = Assert.Throws<MocoException>(() => MocoContext.Create($"cuda:{n}"));
            Assert.Equal(MocoStatus.NotFound, notFound.Status);
            Assert.Contains("valid devices", notFound.Message, StringComparison.Ordinal);
            return;
        }

        var e = Assert.Throws<MocoException>(() => MocoContext.Create("cuda:0"));
        Assert.Equal(MocoStatus.Unimplemented, e.Status);
        Assert.Contains("CUDA support not compiled in", e.Message, StringComparison.Ordinal);
        Assert.Contains("MOCO_CUDA=ON", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(1025)]
    public void ThreadsOutOfRangeIsInvalidArgumentNamingThreads(int threads)
    {
        var e = Assert.Throws<MocoException>(() => MocoContext.Create("cpu", threads));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains($"threads is {threads}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContextsCanBeCreatedFromManyThreads()
    {
        Parallel.For(0, 64, i =>
        {
            using var context = MocoContext.Create("cpu", 1 + (i % 4));
            Assert.Equal(1 + (i % 4), context.Threads);
        });
    }
}
