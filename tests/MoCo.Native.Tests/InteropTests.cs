using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MoCo.Native.Interop;

namespace MoCo.Native.Tests;

public class InteropTests
{
    [Fact]
    public void DeviceInfoMirrorsTheFrozenNativeLayout()
    {
        Assert.Equal(192, Unsafe.SizeOf<NativeDeviceInfo>());
        Assert.Equal(192, Marshal.SizeOf<NativeDeviceInfo>());
        Assert.Equal(32, (int)Marshal.OffsetOf<NativeDeviceInfo>(nameof(NativeDeviceInfo.Kind)));
        Assert.Equal(168, (int)Marshal.OffsetOf<NativeDeviceInfo>(nameof(NativeDeviceInfo.MemoryBytes)));
        Assert.Equal(188, (int)Marshal.OffsetOf<NativeDeviceInfo>(nameof(NativeDeviceInfo.Features)));
    }

    [Fact]
    public void ContextOptionsHaveTheNativeSize()
    {
        // int, pointer, int with natural alignment: 24 bytes on 64-bit, 12 on 32-bit.
        Assert.Equal(IntPtr.Size == 8 ? 24 : 12, Unsafe.SizeOf<NativeContextOptions>());
    }

    [Fact]
    public void LoaderLooksInTheApplicationDirectoryUnlessOverridden()
    {
        var baseDir = AppContext.BaseDirectory;
        Assert.Equal([Path.Combine(baseDir, NativeLibraryLoader.FileName)], NativeLibraryLoader.CandidatePaths(null, baseDir));
        Assert.Equal([Path.Combine(baseDir, NativeLibraryLoader.FileName)], NativeLibraryLoader.CandidatePaths(" ", baseDir));

        // An override is the only candidate: a file as given, a folder with the platform file name inside.
        Assert.Equal(["/opt/moco/libmoco.so"], NativeLibraryLoader.CandidatePaths("/opt/moco/libmoco.so", baseDir));
        Assert.Equal([Path.Combine(baseDir, NativeLibraryLoader.FileName)], NativeLibraryLoader.CandidatePaths(baseDir, "/elsewhere"));
    }

    [Fact]
    public void NotFoundMessageNamesThePathsAndHowToBuild()
    {
        var message = NativeLibraryLoader.NotFoundMessage(["/app/libmoco.so"]);
        Assert.Contains("/app/libmoco.so", message, StringComparison.Ordinal);
        Assert.Contains("cmake -S services/inference-native/native", message, StringComparison.Ordinal);
        Assert.Contains(NativeLibraryLoader.PathVariable, message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLibraryIsCopiedNextToTheTestAssembly()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, NativeLibraryLoader.FileName)));
    }
}
