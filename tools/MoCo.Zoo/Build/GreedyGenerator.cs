using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Zoo.Build;

/// <summary>
/// Greedy decoding of many prompts at once on one model through libmoco's KV cache: what the zoo build scores
/// with, so its numbers are the ones a temperature-0 single_model run reproduces.
/// </summary>
public static class GreedyGenerator
{
    /// <summary>Decodes each prompt until <paramref name="endToken"/> or <paramref name="maxNewTokens"/>; returns
    /// the generated ids without the end token; with <paramref name="adapter"/>, the model with that LoRA adapter.</summary>
    public static IReadOnlyList<int[]> Generate(MocoModel model, IReadOnlyList<int[]> prompts, int endToken, int maxNewTokens, int batchSize = 32,
        MocoAdapter? adapter = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        var vocabulary = model.Info.OutputSize;
        var results = new int[prompts.Count][];
        using var cache = model.CreateKvCache();
        var batch = new ForwardBatch(batchSize);
        for (var start = 0; start < prompts.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, prompts.Count - start);
            var sequences = new int[count];
            var generated = new List<int>[count];
            var logits = new float[count][];
            var done = new bool[count];
            batch.Clear();
            for (var i = 0; i < count; i++)
            {
                sequences[i] = cache.CreateSequence();
                generated[i] = [];
                logits[i] = new float[vocabulary];
                batch.Add(sequences[i], prompts[start + i], OutputMode.Last, logits[i], adapter);
            }
            cache.Forward(batch);
            for (var step = 0; ; step++)
            {
                batch.Clear();
                for (var i = 0; i < count; i++)
                {
                    if (done[i])
                    {
                        continue;
                    }
                    var token = ArgMax(logits[i]);
                    if (token == endToken || step == maxNewTokens)
                    {
                        done[i] = true;
                        continue;
                    }
                    generated[i].Add(token);
                    if (generated[i].Count == maxNewTokens)
                    {
                        done[i] = true;
                        continue;
                    }
                    batch.Add(sequences[i], new[] { token }, OutputMode.Last, logits[i], adapter);
                }
                if (batch.Count == 0)
                {
                    break;
                }
                cache.Forward(batch);
            }
            for (var i = 0; i < count; i++)
            {
                cache.Free(sequences[i]);
                results[start + i] = [.. generated[i]];
            }
        }
        return results;
    }

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
