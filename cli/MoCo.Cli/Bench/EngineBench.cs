using System.Diagnostics;
using System.Text.Json;
using MoCo.Native;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench engine`: the native engine alone, no service in between. Decode tokens/s at each batch size against
/// the memory-bandwidth bound of a batch-1 step (the device's copy bandwidth, measured first, over the weight bytes a
/// step reads: every matrix once, the embedding table only as the LM head when tied), and prefill tokens/s against
/// batch-1 decode. A batch of b shares one pass over the weights, so its bound is b times the batch-1 one until
/// compute, not memory, limits it.
/// </summary>
public static class EngineBench
{
    // Well above any last-level cache: the copy measures memory, as a decode step's weight reads do.
    private const long CopyBytes = 256L << 20;

    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/>.</summary>
    public static BenchSuiteResult Run(BenchOptions options, TextWriter log)
    {
        using var context = MocoContext.Create(options.Device, options.Threads);
        using var model = MocoModel.Load(context, options.Model.Directory);
        var info = model.Info;
        var weightBytes = WeightBytesPerToken(options.Model.Directory, info);
        log.WriteLine($"engine: copy bandwidth of {context.Device}");
        var bandwidth = context.CopyBandwidth(CopyBytes);
        var bound = bandwidth / weightBytes;

        var prompt = Math.Clamp(options.PromptTokens, 1, info.MaxPositionEmbeddings - options.NewTokens - 1);
        var rows = new List<BenchRow>
        {
            new("copy bandwidth", bandwidth / 1e9, "GB/s", null, 0, $"read + written, {CopyBytes >> 20} MiB on {context.Device}"),
        };
        // Batch 1 is prefill's baseline, so it is measured even when --batch leaves it out (and then not reported as a row).
        var batches = options.Batches.Contains(1) ? options.Batches : [.. options.Batches, 1];
        log.WriteLine($"engine: decode at batch {string.Join(", ", batches)} and a prefill of {prompt} tokens, interleaved");
        var rates = Measure.BestOfEach(options.Repeats, [
            .. batches.Select(batch => (Func<double>)(() => Measure.Sustained(() => Decode(model, batch, prompt, options.NewTokens)))),
            () => Measure.Sustained(() => Prefill(model, prompt))]);
        foreach (var (batch, i) in options.Batches.Select((b, i) => (b, i)))
        {
            rows.Add(new BenchRow($"decode, batch {batch}", rates[i], "tokens/s", "batch-1 bandwidth bound", bound,
                batch == 1 ? null : $"the bound of batch {batch} is up to {batch}x the batch-1 bound"));
        }
        rows.Add(new BenchRow($"prefill, {prompt} tokens", rates[^1], "tokens/s", "decode, batch 1", rates[batches.ToList().IndexOf(1)]));
        var setup = $"{options.Model.Name} ({info.Architecture}, {info.ParameterCount / 1e6:F1} M parameters, {info.Dtype}; "
            + $"{weightBytes / 1e6:F1} MB of weights read per step) on {context.Device}, {context.Threads} threads; "
            + $"prompt {prompt}, {options.NewTokens} new tokens per sequence; best of {options.Repeats}; "
            + $"batch-1 bound {bound:F0} tokens/s"
            + (weightBytes < CopyBytes / 4 ? " (the weights fit in the caches, so a step can beat the memory bound: --model random:125m or a larger model measures it)" : "");
        return new BenchSuiteResult("engine", setup, rows);
    }

    /// <summary>Bytes of weights one decode step reads: every parameter once in its stored dtype, less the embedding
    /// table when it is not the LM head too (a step reads one row of it).</summary>
    public static double WeightBytesPerToken(string directory, ModelInfo info)
    {
        var parameters = (double)info.ParameterCount;
        if (!TiedEmbeddings(directory) && !info.IsClassifier)
        {
            parameters -= (double)info.VocabSize * info.HiddenSize;
        }
        return parameters * info.Dtype.ElementSize();
    }

    private static bool TiedEmbeddings(string directory)
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "config.json")));
        return config.RootElement.TryGetProperty("tie_word_embeddings", out var tied) && tied.ValueKind == JsonValueKind.True;
    }

    // batch sequences prefilled with the prompt (untimed), then newTokens steps of one token each: the tokens and seconds of the steps.
    private static (double Tokens, double Seconds) Decode(MocoModel model, int batch, int prompt, int newTokens)
    {
        using var cache = Cache(model, batch, prompt + newTokens);
        var vocab = model.Info.OutputSize;
        var logits = new float[batch * vocab];
        var forward = new ForwardBatch(batch);
        var sequences = new int[batch];
        var tokens = new int[batch][];
        for (var s = 0; s < batch; s++)
        {
            sequences[s] = cache.CreateSequence();
            forward.Add(sequences[s], Tokens(model, prompt, s), OutputMode.Last, logits.AsMemory(s * vocab, vocab));
            tokens[s] = new int[1];
        }
        cache.Forward(forward);
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < newTokens; step++)
        {
            forward.Clear();
            for (var s = 0; s < batch; s++)
            {
                tokens[s][0] = ArgMax(logits.AsSpan(s * vocab, vocab)) % model.Info.VocabSize;
                forward.Add(sequences[s], tokens[s], OutputMode.Last, logits.AsMemory(s * vocab, vocab));
            }
            cache.Forward(forward);
        }
        return (batch * newTokens, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One prefill of <paramref name="prompt"/> tokens from an empty cache: the tokens and its seconds.</summary>
    internal static (double Tokens, double Seconds) Prefill(MocoModel model, int prompt)
    {
        using var cache = Cache(model, 1, prompt);
        var logits = new float[model.Info.OutputSize];
        var forward = new ForwardBatch(1);
        forward.Add(cache.CreateSequence(), Tokens(model, prompt, 0), OutputMode.Last, logits);
        var clock = Stopwatch.StartNew();
        cache.Forward(forward);
        return (prompt, clock.Elapsed.TotalSeconds);
    }

    private static MocoKvCache Cache(MocoModel model, int sequences, int tokensEach)
    {
        const int blockTokens = 16;
        var blocks = (ulong)sequences * (ulong)((tokensEach + blockTokens - 1) / blockTokens + 1);
        return model.CreateKvCache(new KvCacheOptions(blocks * KvCacheOptions.BlockBytes(model.Info, blockTokens), blockTokens, Math.Max(sequences, 1)));
    }

    // Deterministic prompt ids spread over the vocabulary, different per sequence.
    private static int[] Tokens(MocoModel model, int count, int seed)
    {
        var random = new Random(seed + 1);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(model.Info.VocabSize))];
    }

    private static int ArgMax(ReadOnlySpan<float> row)
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
}
