using MoCo.Native.Inference;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Models;

/// <summary>Several LoRA adapters on one resident model, mixed per sequence in one batch.</summary>
public class AdapterTests
{
    private const string Model = "qwen2_bias_tied";

    [Fact]
    public void AdaptersChangeTheOutputAndMixInOneBatchBitForBit()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var first = model.LoadAdapter(PeftAdapterWriter.Write(temp.Sub("a"), seed: 1));
        using var second = model.LoadAdapter(PeftAdapterWriter.Write(temp.Sub("b"), seed: 2));
        using var cache = model.CreateKvCache();
        int[] prompt = [10, 20, 30, 40, 50];
        var width = model.Info.OutputSize;

        var baseAlone = Engine.Recompute(cache, prompt);
        var firstAlone = Engine.Recompute(cache, prompt, first);
        var secondAlone = Engine.Recompute(cache, prompt, second);
        Assert.NotEqual(baseAlone, firstAlone);
        Assert.NotEqual(firstAlone, secondAlone);

        var outputs = new[] { new float[width], new float[width], new float[width] };
        var batch = new ForwardBatch();
        batch.Add(cache.CreateSequence(), prompt, OutputMode.Last, outputs[0], first);
        batch.Add(cache.CreateSequence(), prompt, OutputMode.Last, outputs[1]);
        batch.Add(cache.CreateSequence(), prompt, OutputMode.Last, outputs[2], second);
        cache.Forward(batch);
        var last = (prompt.Length - 1) * width;
        Engine.BitEqual(firstAlone.AsSpan(last), outputs[0], "first adapter in a mixed batch");
        Engine.BitEqual(baseAlone.AsSpan(last), outputs[1], "base in a mixed batch");
        Engine.BitEqual(secondAlone.AsSpan(last), outputs[2], "second adapter in a mixed batch");
    }

    [Fact]
    public void AnAdapterOfAnotherModelIsRefusedBeforeNativeCode()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var other = Engine.Golden(context, Model);
        using var adapter = other.LoadAdapter(PeftAdapterWriter.Write(temp.Sub("a"), seed: 1));
        using var cache = model.CreateKvCache();
        var e = Assert.Throws<ArgumentException>(() => Engine.Forward(cache, cache.CreateSequence(), [1], adapter: adapter));
        Assert.Equal("batch", e.ParamName);
    }

    [Fact]
    public void AMissingAdapterIsNotFoundNamingTheFile()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        var e = Assert.Throws<MocoException>(() => model.LoadAdapter(temp.Path));
        Assert.Equal(MocoStatus.NotFound, e.Status);
        Assert.Contains("adapter_config.json", e.Message, StringComparison.Ordinal);
    }
}
