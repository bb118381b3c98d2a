using MoCo.Native.Inference;
using MoCo.Native.Models;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Inference;

/// <summary>Disposal in any order is safe; a disposed object refuses use with <see cref="ObjectDisposedException"/>.</summary>
public class LifetimeTests
{
    private const string Model = "qwen2_bias_tied";

    [Fact]
    public void DisposingContextAndModelBeforeTheCacheLeavesTheCacheWorking()
    {
        var context = Engine.Cpu();
        var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        using var reference = model.CreateKvCache();
        var expected = Engine.Recompute(reference, [5, 6, 7]);
        reference.Dispose();

        context.Dispose();
        model.Dispose();
        Assert.True(model.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => model.CreateKvCache());
        Assert.Throws<ObjectDisposedException>(() => model.LoadAdapter("/nonexistent"));
        Assert.Throws<ObjectDisposedException>(() => MocoModel.Load(context, RepoPaths.GoldenModel(Model)));

        Engine.BitEqual(expected, Engine.Recompute(cache, [5, 6, 7]), "after the model was disposed");
        Assert.Equal("Qwen2ForCausalLM", cache.ModelInfo.Architecture);
    }

    [Fact]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        var cache = model.CreateKvCache();
        var seq = cache.CreateSequence();
        cache.Dispose();
        cache.Dispose();
        Assert.True(cache.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => cache.CreateSequence());
        Assert.Throws<ObjectDisposedException>(() => cache.Length(seq));
        Assert.Throws<ObjectDisposedException>(() => cache.GetStats());
        Assert.Throws<ObjectDisposedException>(() => Engine.Forward(cache, seq, [1]));
    }

    [Fact]
    public void ADisposedAdapterIsRefusedByTheForward()
    {
        using var temp = new TempDirectory();
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var adapter = model.LoadAdapter(PeftAdapterWriter.Write(temp.Sub("a"), seed: 1));
        adapter.Dispose();
        var seq = cache.CreateSequence();
        Assert.Throws<ObjectDisposedException>(() => Engine.Forward(cache, seq, [1, 2], adapter: adapter));
        Assert.Equal(0, cache.Length(seq));
    }
}
