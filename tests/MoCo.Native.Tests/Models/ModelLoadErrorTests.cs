using MoCo.Native.Models;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Models;

/// <summary>Load failures surface as <see cref="MocoException"/> with libmoco's precise message.</summary>
public class ModelLoadErrorTests
{
    [Fact]
    public void ADirectoryWithoutAModelIsNotFoundNamingConfigJson()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        var e = Assert.Throws<MocoException>(() => MocoModel.Load(context, temp.Path));
        Assert.Equal(MocoStatus.NotFound, e.Status);
        Assert.Contains("config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(temp.Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedSafetensorsFileIsIoNamingTheFile()
    {
        using var temp = new TempDirectory();
        var source = RepoPaths.GoldenModel("qwen2_bias_tied");
        File.Copy(Path.Combine(source, "config.json"), temp.Sub("config.json"));
        var weights = File.ReadAllBytes(Path.Combine(source, "model.safetensors"));
        File.WriteAllBytes(temp.Sub("model.safetensors"), weights[..(weights.Length / 2)]);

        using var context = Engine.Cpu();
        var e = Assert.Throws<MocoException>(() => MocoModel.Load(context, temp.Path, new ModelLoadOptions(UseMmap: false)));
        Assert.Equal(MocoStatus.Io, e.Status);
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AGarbageSafetensorsHeaderIsIo()
    {
        using var temp = new TempDirectory();
        File.Copy(Path.Combine(RepoPaths.GoldenModel("qwen2_bias_tied"), "config.json"), temp.Sub("config.json"));
        File.WriteAllBytes(temp.Sub("model.safetensors"), [16, 0, 0, 0, 0, 0, 0, 0, .. "{not json at all"u8]);
        using var context = Engine.Cpu();
        var e = Assert.Throws<MocoException>(() => MocoModel.Load(context, temp.Path));
        Assert.Equal(MocoStatus.Io, e.Status);
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsFailInCSharp()
    {
        using var context = Engine.Cpu();
        Assert.Equal("directory", Assert.Throws<ArgumentException>(() => MocoModel.Load(context, "a\0b")).ParamName);
        Assert.Throws<ArgumentNullException>(() => MocoModel.Load(context, null!));
        Assert.Throws<ArgumentNullException>(() => MocoModel.Load(null!, "x"));
    }

    [Fact]
    public void ModelsLoadWithAndWithoutMmapToTheSameWeights()
    {
        using var context = Engine.Cpu();
        using var mapped = Engine.Golden(context, "llama_sharded_tied");
        using var read = MocoModel.Load(context, RepoPaths.GoldenModel("llama_sharded_tied"), new ModelLoadOptions(UseMmap: false));
        Assert.Equal(mapped.Info, read.Info);
        using var a = mapped.CreateKvCache();
        using var b = read.CreateKvCache();
        Engine.BitEqual(Engine.Recompute(a, [3, 4, 5]), Engine.Recompute(b, [3, 4, 5]), "mmap vs read");
    }
}
