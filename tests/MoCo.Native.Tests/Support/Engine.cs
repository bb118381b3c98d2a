using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Native.Tests.Support;

/// <summary>Small helpers over the public API, so tests read as what they check.</summary>
internal static class Engine
{
    /// <summary>A CPU context with 2 threads (the thread count never changes results: moco.h).</summary>
    public static MocoContext Cpu() => MocoContext.Create("cpu", threads: 2);

    public static MocoModel Golden(MocoContext context, string name) => MocoModel.Load(context, RepoPaths.GoldenModel(name));

    /// <summary>Appends <paramref name="tokens"/> to <paramref name="seq"/> and returns the requested logits rows.</summary>
    public static float[] Forward(MocoKvCache cache, int seq, int[] tokens, OutputMode mode = OutputMode.All, MocoAdapter? adapter = null)
    {
        var rows = mode == OutputMode.All ? tokens.Length : 1;
        var logits = new float[rows * cache.ModelInfo.OutputSize];
        var batch = new ForwardBatch();
        batch.Add(seq, tokens, mode, logits, adapter);
        cache.Forward(batch);
        return logits;
    }

    /// <summary>Logits of every position of <paramref name="tokens"/> in a fresh sequence (freed afterwards).</summary>
    public static float[] Recompute(MocoKvCache cache, int[] tokens, MocoAdapter? adapter = null)
    {
        var seq = cache.CreateSequence();
        try
        {
            return Forward(cache, seq, tokens, OutputMode.All, adapter);
        }
        finally
        {
            cache.Free(seq);
        }
    }

    /// <summary>Argmax, lowest id on ties (the engine's greedy rule).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Equal bit for bit, with the first differing index in the message.</summary>
    public static void BitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} bit for bit");
            }
        }
    }
}
