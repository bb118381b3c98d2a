using MoCo.Inference.Weights;
using MoCo.Native.Inference;
using MoCo.Native.Models;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>
/// CoLLM phase 1 (methods-api.md §8 step 4): the probe vector g, the head row of the deferral entry. g starts as the
/// mean of the generator's output-embedding rows and is trained alone on the frozen generator: one pass over the
/// examples in the order sent, batches of 8, logit h_t·g from the final-norm hidden state before each labelled token,
/// binary cross-entropy with weight 8 on positives (mean over the batch's labelled positions), one AdamW step (lr, no
/// weight decay) per batch. Hidden states come from the generator's own forward on a private KV cache, so serving
/// on the model's loop goes on meanwhile.
/// </summary>
/// <param name="labels">Per example, one label per token: 1 = defer, 0 = keep, -100 = not labelled (the prompt).</param>
public sealed class DeferralProbe(IReadOnlyList<sbyte[]> labels)
{
    private const int BatchSize = 8;
    private const double PositiveWeight = 8;

    /// <summary>Trains g over <paramref name="examples"/> (the job's units in order) and returns it.</summary>
    public float[] Fit(MocoModel model, string directory, IReadOnlyList<NativeExample[]> examples, double learningRate, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        var hiddenSize = model.Info.HiddenSize;
        var g = MeanOutputRow(directory, hiddenSize);
        var adam = new VectorAdam(hiddenSize, learningRate);
        var longest = examples.Max(e => e[0].Tokens.Length);
        using var cache = MocoKvCache.Create(model, new KvCacheOptions(BlockTokens: 16, MaxSequences: 1, MemoryBytes: KvCacheOptions.BlockBytes(model.Info, 16) * (ulong)((longest / 16) + 2)));
        var hidden = new float[longest * hiddenSize];
        for (var first = 0; first < examples.Count; first += BatchSize)
        {
            var gradient = new double[hiddenSize];
            var count = 0;
            for (var i = first; i < Math.Min(first + BatchSize, examples.Count); i++)
            {
                cancel.ThrowIfCancellationRequested();
                var tokens = examples[i][0].Tokens;
                Hidden(cache, tokens, hidden);
                for (var t = 1; t < tokens.Length; t++)
                {
                    if (labels[i][t] is not (0 or 1))
                    {
                        continue;
                    }
                    var h = hidden.AsSpan((t - 1) * hiddenSize, hiddenSize);
                    var z = 0.0;
                    for (var k = 0; k < hiddenSize; k++)
                    {
                        z += h[k] * (double)g[k];
                    }
                    var y = labels[i][t];
                    // d/dz of -w [y log σ(z) + (1 - y) log(1 - σ(z))] = w (σ(z) - y)
                    var d = (y == 1 ? PositiveWeight : 1.0) * ((1.0 / (1.0 + Math.Exp(-z))) - y);
                    for (var k = 0; k < hiddenSize; k++)
                    {
                        gradient[k] += d * h[k];
                    }
                    count++;
                }
            }
            if (count > 0)
            {
                adam.Step(g, gradient, 1.0 / count);
            }
        }
        return g;
    }

    // The final-norm hidden state of every position of one sequence, on a fresh sequence of the private cache.
    private static void Hidden(MocoKvCache cache, ReadOnlyMemory<int> tokens, float[] hidden)
    {
        var sequence = cache.CreateSequence();
        try
        {
            var batch = new ForwardBatch(1);
            batch.Add(sequence, tokens, OutputMode.None, Memory<float>.Empty, hiddenMode: OutputMode.All,
                hidden: hidden.AsMemory(0, tokens.Length * cache.ModelInfo.HiddenSize));
            cache.Forward(batch);
        }
        finally
        {
            cache.Free(sequence);
        }
    }

    // The mean of the head's rows (lm_head.weight, or the tied embedding), in double, row order.
    private static float[] MeanOutputRow(string directory, int hiddenSize)
    {
        var tensors = SafetensorsTensors.Read(directory);
        var head = tensors.FirstOrDefault(t => t.Name == "lm_head.weight") ?? tensors.First(t => t.Name == "model.embed_tokens.weight");
        using var reader = new TensorReader();
        var values = Floats(reader.ReadAll(head), head.Dtype);
        var rows = values.Length / hiddenSize;
        var sum = new double[hiddenSize];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < hiddenSize; k++)
            {
                sum[k] += values[(r * hiddenSize) + k];
            }
        }
        return [.. sum.Select(s => (float)(s / rows))];
    }

    private static float[] Floats(byte[] bytes, string dtype) => dtype switch
    {
        "F32" => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes)],
        "F16" => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h)],
        "BF16" => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(b => BitConverter.Int32BitsToSingle(b << 16))],
        _ => throw new InvalidOperationException($"the head is stored as {dtype}; a probe reads F32, F16 or BF16"),
    };

    // torch.optim.AdamW on one vector (β 0.9/0.999, ε 1e-8, no weight decay, bias-corrected).
    private sealed class VectorAdam(int size, double learningRate)
    {
        private readonly double[] _m = new double[size];
        private readonly double[] _v = new double[size];
        private int _steps;

        public void Step(float[] x, double[] gradient, double scale)
        {
            _steps++;
            var c1 = 1 - Math.Pow(0.9, _steps);
            var c2 = 1 - Math.Pow(0.999, _steps);
            for (var k = 0; k < x.Length; k++)
            {
                var grad = gradient[k] * scale;
                _m[k] = (0.9 * _m[k]) + (0.1 * grad);
                _v[k] = (0.999 * _v[k]) + (0.001 * grad * grad);
                x[k] -= (float)(learningRate * (_m[k] / c1) / (Math.Sqrt(_v[k] / c2) + 1e-8));
            }
        }
    }
}
