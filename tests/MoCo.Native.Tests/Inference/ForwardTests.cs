using MoCo.Native.Inference;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Inference;

/// <summary>The forward's determinism contract (moco.h) as seen through <see cref="ForwardBatch"/>.</summary>
public class ForwardTests
{
    private const string Model = "qwen2_bias_tied";

    private static readonly int[] Tokens = GoldenFixture.Load(Model).Cases[0].Tokens;

    [Fact]
    public void AMixedBatchEqualsEachSequenceAloneBitForBit()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var alone = model.CreateKvCache();
        int[][] prompts = [Tokens[..5], Tokens[3..12], Tokens[..13]];
        var expected = prompts.Select(p => Engine.Recompute(alone, p)).ToArray();
        var expectedNext = Engine.Recompute(alone, [.. prompts[0], 7, 8]);

        using var cache = model.CreateKvCache();
        var seqs = prompts.Select(_ => cache.CreateSequence()).ToArray();
        var outputs = prompts.Select(p => new float[p.Length * model.Info.OutputSize]).ToArray();
        var batch = new ForwardBatch(capacity: 1); // grows
        for (var i = 0; i < prompts.Length; i++)
        {
            batch.Add(seqs[i], prompts[i], OutputMode.All, outputs[i]);
        }

        cache.Forward(batch);
        for (var i = 0; i < prompts.Length; i++)
        {
            Engine.BitEqual(expected[i], outputs[i], $"prefill {i}");
        }

        // Next step mixes a decode chunk of sequence 0 with a one-token decode of sequence 2, reusing the builder.
        var step = new float[2 * model.Info.OutputSize];
        var other = new float[model.Info.OutputSize];
        batch.Clear();
        batch.Add(seqs[0], new[] { 7, 8 }, OutputMode.All, step);
        batch.Add(seqs[2], new[] { 9 }, OutputMode.Last, other);
        cache.Forward(batch);
        Engine.BitEqual(expectedNext.AsSpan(5 * model.Info.OutputSize), step, "decode chunk in a mixed batch");
        Engine.BitEqual(Engine.Recompute(alone, [.. prompts[2], 9]).AsSpan(13 * model.Info.OutputSize), other, "decode in a mixed batch");
    }

    [Fact]
    public void ForkAndTruncateEqualIndependentSequences()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var width = model.Info.OutputSize;
        var prompt = Tokens[..10];

        var a = cache.CreateSequence();
        Engine.Forward(cache, a, prompt, OutputMode.Last);
        var b = cache.Fork(a);
        Assert.Equal(prompt.Length, cache.Length(b));
        var afterA = Engine.Forward(cache, a, [11], OutputMode.Last);
        var afterB = Engine.Forward(cache, b, [12], OutputMode.Last);
        Engine.BitEqual(Engine.Recompute(cache, [.. prompt, 11]).AsSpan(10 * width), afterA, "source after fork");
        Engine.BitEqual(Engine.Recompute(cache, [.. prompt, 12]).AsSpan(10 * width), afterB, "fork");

        cache.Truncate(a, 6);
        Assert.Equal(6, cache.Length(a));
        var truncated = Engine.Forward(cache, a, [13], OutputMode.Last);
        Engine.BitEqual(Engine.Recompute(cache, [.. prompt[..6], 13]).AsSpan(6 * width), truncated, "after truncate");
    }

    [Fact]
    public void HiddenStatesComeBackForTheRequestedRows()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var hiddenSize = model.Info.HiddenSize;
        var all = new float[Tokens.Length * hiddenSize];
        var batch = new ForwardBatch();
        batch.Add(cache.CreateSequence(), Tokens, OutputMode.None, Memory<float>.Empty, hiddenMode: OutputMode.All, hidden: all);
        cache.Forward(batch);

        var last = new float[hiddenSize];
        batch.Clear();
        batch.Add(cache.CreateSequence(), Tokens, OutputMode.None, default, hiddenMode: OutputMode.Last, hidden: last);
        cache.Forward(batch);
        Engine.BitEqual(all.AsSpan((Tokens.Length - 1) * hiddenSize), last, "LAST hidden vs ALL's last row");
        Assert.Contains(last, x => x != 0);
    }

    [Fact]
    public void ExhaustingTheKvBudgetIsResourceExhaustedAndChangesNothing()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        var twoBlocks = 2 * KvCacheOptions.BlockBytes(model.Info, 4);
        using var cache = model.CreateKvCache(new KvCacheOptions(MemoryBytes: twoBlocks, BlockTokens: 4));
        var stats = cache.GetStats();
        Assert.Equal(new KvCacheStats(4, 2, 2, 0, twoBlocks), stats);

        var seq = cache.CreateSequence();
        Engine.Forward(cache, seq, Tokens[..5], OutputMode.Last);
        Assert.Equal(0, cache.GetStats().FreeBlocks);
        var e = Assert.Throws<MocoException>(() => Engine.Forward(cache, seq, Tokens[5..9], OutputMode.Last));
        Assert.Equal(MocoStatus.ResourceExhausted, e.Status);
        Assert.Equal("MOCO_ERR_RESOURCE_EXHAUSTED", e.StatusName);
        Assert.Contains("block", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(5, cache.Length(seq));
    }

    [Fact]
    public void SequenceLimitIsResourceExhaustedAndUnknownSequencesAreNotFound()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache(new KvCacheOptions(MaxSequences: 1));
        var seq = cache.CreateSequence();
        Assert.Equal(MocoStatus.ResourceExhausted, Assert.Throws<MocoException>(() => cache.CreateSequence()).Status);
        cache.Free(seq);
        Assert.Equal(seq, cache.CreateSequence());
        Assert.Equal(MocoStatus.NotFound, Assert.Throws<MocoException>(() => cache.Length(5)).Status);
        Assert.Equal(MocoStatus.NotFound, Assert.Throws<MocoException>(() => Engine.Forward(cache, 5, [1])).Status);
        Assert.Equal(MocoStatus.InvalidArgument, Assert.Throws<MocoException>(() => cache.Truncate(seq, 3)).Status);
    }

    [Fact]
    public void BuffersAndBatchesAreCheckedBeforeNativeCode()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var seq = cache.CreateSequence();
        var batch = new ForwardBatch();
        Assert.Equal("batch", Assert.Throws<ArgumentException>(() => cache.Forward(batch)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => batch.Add(seq, Array.Empty<int>(), OutputMode.None, default)).ParamName);
        Assert.Equal("sequence", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Add(-1, new[] { 1 }, OutputMode.None, default)).ParamName);
        Assert.Equal("logitsMode", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Add(seq, new[] { 1 }, (OutputMode)3, default)).ParamName);

        batch.Add(seq, new[] { 1, 2 }, OutputMode.All, new float[(2 * model.Info.OutputSize) - 1]);
        var e = Assert.Throws<ArgumentException>(() => cache.Forward(batch));
        Assert.Equal("batch", e.ParamName);
        Assert.Contains("logits holds 511 floats", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, cache.Length(seq));
    }

    [Fact]
    public void AttendPrefixReachesTheNativeMaskAndIsChecked()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var hiddenSize = model.Info.HiddenSize;
        var batch = new ForwardBatch();
        Assert.Equal("attendPrefix", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Add(0, new[] { 1 }, OutputMode.None, default, attendPrefix: -1)).ParamName);

        // The same pads after the same text: masked to the text (4) they differ from plain causal tokens (0).
        float[] Pads(int attendPrefix)
        {
            var seq = cache.CreateSequence();
            Engine.Forward(cache, seq, Tokens[..4], OutputMode.None);
            var hidden = new float[3 * hiddenSize];
            batch.Clear();
            batch.Add(seq, Tokens[4..7], OutputMode.None, default, hiddenMode: OutputMode.All, hidden: hidden, attendPrefix: attendPrefix);
            cache.Forward(batch);
            return hidden;
        }
        Assert.NotEqual(Pads(0), Pads(4));

        var prefixOfTwo = cache.CreateSequence();
        Engine.Forward(cache, prefixOfTwo, Tokens[..2], OutputMode.None);
        batch.Clear();
        batch.Add(prefixOfTwo, Tokens[2..4], OutputMode.None, default, attendPrefix: 3);
        var e = Assert.Throws<MocoException>(() => cache.Forward(batch));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains("attend_prefix is 3", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, cache.Length(prefixOfTwo));
    }

    [Fact]
    public void ATokenOutOfRangeIsInvalidArgumentNamingThePosition()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var e = Assert.Throws<MocoException>(() => Engine.Forward(cache, cache.CreateSequence(), [1, model.Info.VocabSize]));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains("256", e.Message, StringComparison.Ordinal);
    }
}
