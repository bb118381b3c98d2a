using MoCo.Native.Inference;
using MoCo.Native.Models;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Models;

/// <summary>
/// The C# path reproduces the golden fixtures as tests/golden/test_golden.cpp checks them: every row within
/// logits_atol, HF's greedy token wherever its top-2 margin reaches margin_threshold.
/// </summary>
public class GoldenModelTests
{
    public static TheoryData<string> Fixtures => GoldenFixture.Names;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void InfoMatchesTheRecordedModel(string name)
    {
        var golden = GoldenFixture.Load(name);
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, name);
        var want = golden.Info;
        var info = model.Info;
        Assert.Equal(golden.Root.GetProperty("architecture").GetString(), info.Architecture);
        Assert.Equal(want.GetProperty("vocab_size").GetInt32(), info.VocabSize);
        Assert.Equal(want.GetProperty("hidden_size").GetInt32(), info.HiddenSize);
        Assert.Equal(want.GetProperty("intermediate_size").GetInt32(), info.IntermediateSize);
        Assert.Equal(want.GetProperty("num_layers").GetInt32(), info.NumLayers);
        Assert.Equal(want.GetProperty("num_heads").GetInt32(), info.NumHeads);
        Assert.Equal(want.GetProperty("num_kv_heads").GetInt32(), info.NumKvHeads);
        Assert.Equal(want.GetProperty("head_dim").GetInt32(), info.HeadDim);
        Assert.Equal(want.GetProperty("max_position_embeddings").GetInt32(), info.MaxPositionEmbeddings);
        Assert.Equal(want.GetProperty("output_size").GetInt32(), info.OutputSize);
        Assert.Equal(want.GetProperty("is_classifier").GetInt32() == 1, info.IsClassifier);
        Assert.Equal((MocoDtype)want.GetProperty("dtype").GetInt32(), info.Dtype);
        Assert.Equal(want.GetProperty("parameter_count").GetUInt64(), info.ParameterCount);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TeacherForcedLogitsMatchAndDecodingWithTheCacheEqualsRecomputeBitForBit(string name)
    {
        var golden = GoldenFixture.Load(name);
        using var context = Engine.Cpu();
        using var model = Engine.Golden(context, name);
        using var cache = model.CreateKvCache();
        var width = golden.OutputSize;
        foreach (var c in golden.Cases)
        {
            var full = Engine.Recompute(cache, c.Tokens);
            CheckRows(golden, c, full);

            // Prefill the prompt (LAST), then HF's path one token at a time through the KV cache.
            var seq = cache.CreateSequence();
            var decoded = new float[full.Length];
            var first = Engine.Forward(cache, seq, c.Tokens[..c.PromptLength], OutputMode.Last);
            first.CopyTo(decoded, (c.PromptLength - 1) * width);
            for (var p = c.PromptLength; p < c.Tokens.Length; p++)
            {
                Engine.Forward(cache, seq, [c.Tokens[p]], OutputMode.Last).CopyTo(decoded, p * width);
            }

            Assert.Equal(c.Tokens.Length, cache.Length(seq));
            cache.Free(seq);
            var from = (c.PromptLength - 1) * width;
            Engine.BitEqual(full.AsSpan(from), decoded.AsSpan(from), $"{name}: decode vs recompute");
        }
    }

    private static void CheckRows(GoldenFixture golden, GoldenCase c, float[] logits)
    {
        var width = golden.OutputSize;
        for (var position = 0; position < c.Tokens.Length; position++)
        {
            var want = golden.Row(c.RowOffset + position);
            var got = logits.AsSpan(position * width, width);
            for (var v = 0; v < width; v++)
            {
                var diff = Math.Abs(got[v] - want[v]);
                Assert.True(diff <= golden.Atol, $"{golden.Name}: position {position}, output {v}: {got[v]} vs {want[v]} (|diff| {diff} > {golden.Atol})");
            }

            var step = position - (c.PromptLength - 1);
            if (!golden.IsClassifier && step >= 0 && step < c.Margins.Length && c.Margins[step] >= golden.MarginThreshold)
            {
                Assert.True(c.Tokens[c.PromptLength + step] == Engine.ArgMax(got),
                    $"{golden.Name}: greedy step {step} picked {Engine.ArgMax(got)}, HF picked {c.Tokens[c.PromptLength + step]} (margin {c.Margins[step]})");
            }
        }
    }
}
