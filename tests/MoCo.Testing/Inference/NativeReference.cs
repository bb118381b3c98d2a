using MoCo.Native;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Testing.Inference;

/// <summary>Results computed straight on MoCo.Native, one sequence, no scheduler: the independent side of the checks.</summary>
public static class NativeReference
{
    /// <summary>The greedy path: argmax (lowest id on ties) of each last-position logits row, fed back one token at a time.</summary>
    public static int[] Greedy(string directory, int[] prompt, int tokens, string? adapter = null)
    {
        using var context = MocoContext.Create("cpu");
        using var model = MocoModel.Load(context, directory);
        using var lora = adapter is null ? null : model.LoadAdapter(adapter);
        using var cache = model.CreateKvCache(new KvCacheOptions(0, 16, 4));
        var sequence = cache.CreateSequence();
        var logits = new float[model.Info.OutputSize];
        var batch = new ForwardBatch();
        var path = new List<int>();
        var feed = prompt;
        for (var i = 0; i < tokens; i++)
        {
            batch.Clear();
            batch.Add(sequence, feed, OutputMode.Last, logits, lora);
            cache.Forward(batch);
            var best = 0;
            for (var v = 1; v < logits.Length; v++)
            {
                if (logits[v] > logits[best])
                {
                    best = v;
                }
            }
            path.Add(best);
            feed = [best];
        }
        return [.. path];
    }

    /// <summary>The output head's values at the last position of <paramref name="tokens"/> (a classifier's scores).</summary>
    public static float[] LastRow(string directory, int[] tokens)
    {
        using var context = MocoContext.Create("cpu");
        using var model = MocoModel.Load(context, directory);
        using var cache = model.CreateKvCache(new KvCacheOptions(0, 16, 1));
        var batch = new ForwardBatch();
        var row = new float[model.Info.OutputSize];
        batch.Add(cache.CreateSequence(), tokens, OutputMode.Last, row);
        cache.Forward(batch);
        return row;
    }
}
