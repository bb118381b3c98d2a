using MoCo.Native.Interop;

namespace MoCo.Native.Tests;

public class EngineTests
{
    [Fact]
    public void VersionIsTheOneTheCMakeProjectDeclares()
    {
        Assert.Equal(NativeSource.DeclaredVersion(), MocoEngine.Version);
    }

    [Fact]
    public void VersionNumberEncodesTheVersion()
    {
        var parts = NativeSource.DeclaredVersion().Split('.').Select(int.Parse).ToArray();
        Assert.Equal(parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2], MocoEngine.VersionNumber);
    }

    [Fact]
    public void BuildInfoNamesVersionAndBackends()
    {
        var info = MocoEngine.BuildInfo;
        Assert.StartsWith($"version={MocoEngine.Version}; ", info, StringComparison.Ordinal);
        Assert.Matches(@"(^|; )cuda=(on|off)(;|$)", info);
        Assert.Matches(@"(^|; )openblas=(on|off)(;|$)", info);
        Assert.Matches(@"(^|; )build_type=\w+(;|$)", info);
    }

    [Fact]
    public void ManagedStatusEnumCoversEveryNativeStatus()
    {
        // Every value libmoco has a name for must exist in MocoStatus with the matching name, and back.
        var nativeKnown = Enumerable.Range(-4, 64)
            .Select(v => (Value: v, Name: NativeMethods.StatusName((MocoStatus)v)))
            .Where(s => s.Name != "MOCO_ERR_UNKNOWN")
            .ToList();
        Assert.Equal(Enum.GetValues<MocoStatus>().Select(v => (int)v).Order(), nativeKnown.Select(s => s.Value));
        foreach (var (value, name) in nativeKnown)
        {
            var managed = (MocoStatus)value;
            var expected = managed == MocoStatus.Ok ? "MOCO_OK" : "MOCO_ERR_" + ScreamingSnake(managed.ToString());
            Assert.Equal(expected, name);
        }
    }

    private static string ScreamingSnake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));
}
