using MoCo.Native.Inference;
using MoCo.Native.Kernels;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Inference;

/// <summary><see cref="MocoKvCache.ForwardSample"/>: on the CPU its tokens are the forward's logits through <see cref="Sampling.Sample"/>.</summary>
public class ForwardSampleTests
{
    private const string Model = "qwen2_bias_tied";

    private static readonly int[] Tokens = GoldenFixture.Load(Model).Cases[0].Tokens;

    private static readonly SamplingOptions[] Options =
    [
        new(Temperature: 0.8f, TopK: 40, TopP: 0.9f, RepetitionPenalty: 1.3f),
        SamplingOptions.Default,
        SamplingOptions.Greedy with { RepetitionPenalty = 1.5f },
    ];

    [Fact]
    public void TokensEqualForwardBatchThenSamplingSample()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        var vocab = model.Info.OutputSize;
        using var sampled = model.CreateKvCache();
        using var reference = model.CreateKvCache();
        int[][] feeds = [Tokens[..6], Tokens[2..9], Tokens[..4]];
        List<int>[] histories = [.. feeds.Select(f => f.ToList())];
        var seqs = feeds.Select(_ => sampled.CreateSequence()).ToArray();
        var refSeqs = feeds.Select(_ => reference.CreateSequence()).ToArray();
        var batch = new ForwardBatch();
        var refBatch = new ForwardBatch();

        for (ulong step = 0; step < 4; step++)
        {
            // Sequence 1 only prefills on the first step: a chunk that draws nothing.
            var draws = new[] { true, step > 0, true };
            var processed = new float[vocab];
            var keptLogits = new float[vocab];
            var refLogits = feeds.Select(_ => new float[vocab]).ToArray();
            batch.Clear();
            refBatch.Clear();
            for (var i = 0; i < feeds.Length; i++)
            {
                SampleRequest? draw = draws[i]
                    ? new SampleRequest(Options[i], histories[i].ToArray(), 17, step, (ulong)i, i == 0 ? processed : default)
                    : null;
                // Entry 2 still asks for its logits row: the draw leaves the entries' outputs as Forward's.
                batch.Add(seqs[i], feeds[i], i == 2 ? OutputMode.Last : OutputMode.None, i == 2 ? keptLogits : default, draw: draw);
                refBatch.Add(refSeqs[i], feeds[i], OutputMode.Last, refLogits[i]);
            }

            var tokens = new int[feeds.Length];
            sampled.ForwardSample(batch, tokens);
            reference.Forward(refBatch);

            var refProcessed = new float[vocab];
            for (var i = 0; i < feeds.Length; i++)
            {
                if (!draws[i])
                {
                    Assert.Equal(-1, tokens[i]);
                    feeds[i] = [Tokens[9]];
                    histories[i].Add(Tokens[9]);
                    continue;
                }

                var expected = Sampling.Sample(refLogits[i], Options[i], histories[i].ToArray(), 17, step, (ulong)i, i == 0 ? refProcessed : default);
                Assert.Equal(expected, tokens[i]);
                feeds[i] = [tokens[i]];
                histories[i].Add(tokens[i]);
            }

            Engine.BitEqual(refProcessed, processed, $"processed of entry 0, step {step}");
            Engine.BitEqual(refLogits[2], keptLogits, $"logits of entry 2, step {step}");
            Assert.Equal(refSeqs.Select(reference.Length), seqs.Select(sampled.Length));
        }
    }

    [Fact]
    public void ABadRequestThrowsNamingItsIndexAndChangesNoSequence()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var a = cache.CreateSequence();
        var b = cache.CreateSequence();
        Engine.Forward(cache, a, Tokens[..3], OutputMode.None);
        var batch = new ForwardBatch();
        batch.Add(a, Tokens[3..5], OutputMode.None, default, draw: new SampleRequest(null, Tokens[..5], 1, 0, 0));
        batch.Add(b, Tokens[..2], OutputMode.None, default, draw: new SampleRequest(new SamplingOptions(TopP: 1.5f), Tokens[..2], 1, 0, 0));

        var e = Assert.Throws<MocoException>(() => cache.ForwardSample(batch, new int[2]));
        Assert.Equal(MocoStatus.InvalidArgument, e.Status);
        Assert.Contains("requests[1]", e.Message, StringComparison.Ordinal);
        Assert.Contains("top_p", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, cache.Length(a));
        Assert.Equal(0, cache.Length(b));
    }

    [Fact]
    public void DrawsAndTheirBuffersAreCheckedBeforeNativeCode()
    {
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, Model);
        using var cache = model.CreateKvCache();
        var seq = cache.CreateSequence();
        var batch = new ForwardBatch();
        batch.Add(seq, Tokens[..2], OutputMode.None, default, draw: new SampleRequest(null, Tokens[..2], 1, 0, 0, new float[model.Info.OutputSize - 1]));
        Assert.True(batch.HasDraws);

        var plain = Assert.Throws<ArgumentException>(() => cache.Forward(batch));
        Assert.Contains("ForwardSample", plain.Message, StringComparison.Ordinal);
        var shortProcessed = Assert.Throws<ArgumentException>(() => cache.ForwardSample(batch, new int[1]));
        Assert.Contains($"processed holds {model.Info.OutputSize - 1} floats", shortProcessed.Message, StringComparison.Ordinal);

        batch.Clear();
        Assert.False(batch.HasDraws);
        batch.Add(seq, Tokens[..2], OutputMode.None, default, draw: new SampleRequest(null, Tokens[..2], 1, 0, 0));
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => cache.ForwardSample(batch, [])).ParamName);
        Assert.Equal(0, cache.Length(seq));
    }
}
