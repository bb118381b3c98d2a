using MoCo.Native.Inference;
using MoCo.Native.Models;
using MoCo.Native.Training;
using MoCo.Native.Tests.Support;

namespace MoCo.Native.Tests.Training;

/// <summary>Three short sequences to over-fit (2 prompt tokens, 6 targets) and the helpers that check the result.</summary>
internal static class TrainingData
{
    public const string Model = "llama_gqa_rope_llama3";

    public const int PromptLength = 2;

    public static readonly int[][] Sequences =
    [
        [5, 6, 10, 11, 12, 13, 14, 15],
        [7, 8, 20, 21, 22, 23, 24, 25],
        [9, 4, 30, 31, 32, 33, 34, 35],
    ];

    // The prompt tokens are no targets, so only the completion is learnt.
    private static readonly byte[] Mask = [0, 0, 1, 1, 1, 1, 1, 1];

    public static TrainExample[] Examples() => Sequences.Select(s => new TrainExample(s, Mask)).ToArray();

    /// <summary>
    /// Settings that over-fit the sequences within 60 steps (libmoco's own test uses the same): every projection
    /// adapted, a high constant learning rate.
    /// </summary>
    public static TrainerOptions Overfit(TrainMode mode, ulong seed = 42, float dropout = 0f) => new(
        Mode: mode,
        LoraRank: 8,
        LoraAlpha: 16f,
        LoraTargets: LoraTargets.All,
        LoraDropout: dropout,
        LearningRate: mode == TrainMode.Full ? 3e-3f : 1e-2f,
        Schedule: LrSchedule.Constant,
        TotalSteps: 60,
        Seed: seed);

    /// <summary>Runs <paramref name="steps"/> steps of SFT over every sequence (two micro-batches per step) and returns the losses.</summary>
    public static float[] Train(MocoTrainer trainer, int steps)
    {
        var examples = Examples();
        var losses = new float[steps];
        for (var step = 0; step < steps; step++)
        {
            trainer.AddBatch(LossKind.Sft, examples.AsSpan(0, 2));
            trainer.AddBatch(LossKind.Sft, examples.AsSpan(2));
            losses[step] = trainer.Step().Loss;
        }

        return losses;
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> by <paramref name="count"/> tokens, one forward per token.</summary>
    public static int[] Greedy(MocoModel model, int[] prompt, int count, MocoAdapter? adapter = null)
    {
        using var cache = model.CreateKvCache();
        var seq = cache.CreateSequence();
        var output = new List<int>();
        var next = prompt;
        for (var i = 0; i < count; i++)
        {
            var logits = Engine.Forward(cache, seq, next, OutputMode.Last, adapter);
            var token = Engine.ArgMax(logits);
            output.Add(token);
            next = [token];
        }

        return [.. output];
    }

    /// <summary>Sum of the log-probs of tokens[from..] given the ones before.</summary>
    public static double LogProb(MocoModel model, int[] tokens, int from, MocoAdapter? adapter = null)
    {
        using var cache = model.CreateKvCache();
        var logits = Engine.Recompute(cache, tokens, adapter);
        var vocab = model.Info.OutputSize;
        var sum = 0.0;
        for (var t = from; t < tokens.Length; t++)
        {
            var row = logits.AsSpan((t - 1) * vocab, vocab);
            var max = double.NegativeInfinity;
            foreach (var x in row)
            {
                max = Math.Max(max, x);
            }

            var z = 0.0;
            foreach (var x in row)
            {
                z += Math.Exp(x - max);
            }

            sum += row[tokens[t]] - max - Math.Log(z);
        }

        return sum;
    }
}
