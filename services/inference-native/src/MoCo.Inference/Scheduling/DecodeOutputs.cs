using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MoCo.Contracts.V1;
using MoCo.Inference.Requests;
using MoCo.Native.Inference;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// StepOutputs (contracts.md §4 Decode): checks what a step may ask of a model, and computes a DecodeStep from the
/// last position's raw logits and hidden state with the MoCo.Native kernels. Log-probs, top-k, top-1 and
/// probabilities are untempered; the draw is L5's (seed, tokens after the opened prompt, sample 0), made in the forward
/// call (<see cref="Request"/>) unless the loop retries a failed draw on the host.
/// </summary>
internal static class DecodeOutputs
{
    /// <summary>Checks <paramref name="outputs"/> against a head of <paramref name="vocab"/> rows.</summary>
    public static void Check(StepOutputs outputs, int vocab, string field, FieldProblems problems)
    {
        if (outputs.TopK < 0 || outputs.TopK > vocab)
        {
            problems.Invalid($"{field}.top_k", $"{field}.top_k must be in [0, {vocab}] (the model's vocabulary), got {outputs.TopK}");
        }
        if (outputs.ProbsFirstV < 0 || outputs.ProbsFirstV > vocab)
        {
            problems.Invalid($"{field}.probs_first_v", $"{field}.probs_first_v must be in [0, {vocab}] (the model's vocabulary), got {outputs.ProbsFirstV}");
        }
        if (outputs.FullLogprobsDtype is not (DType.Unspecified or DType.F32 or DType.F16))
        {
            problems.Invalid($"{field}.full_logprobs_dtype", $"{field}.full_logprobs_dtype must be DTYPE_F32 or DTYPE_F16, got {outputs.FullLogprobsDtype}");
        }
        CheckIds(outputs.LogitIds, vocab, $"{field}.logit_ids", problems);
        CheckIds(outputs.ArgmaxExcluding, vocab, $"{field}.argmax_excluding", problems);
        if (outputs.ArgmaxExcluding.Distinct().Count() >= vocab)
        {
            problems.Invalid($"{field}.argmax_excluding", $"{field}.argmax_excluding excludes every id of the vocabulary; nothing is left to pick");
        }
    }

    /// <summary>True when a step of <paramref name="outputs"/> reads the raw logits row beyond the draw.</summary>
    public static bool ReadsLogits(StepOutputs outputs) =>
        outputs.FullLogprobs || outputs.TopK > 0 || outputs.ProbsFirstV > 0 || outputs.Top1Prob || outputs.LogitIds.Count > 0 || outputs.Argmax
        || outputs.ArgmaxExcluding.Count > 0;

    /// <summary>The step of <paramref name="sequence"/> after its last token, from that position's outputs.</summary>
    /// <param name="sequence">The sequence, its tokens including the step's.</param>
    /// <param name="logits">The position's raw row (read only where <see cref="ReadsLogits"/>, or to draw here).</param>
    /// <param name="hidden">The position's hidden state (read only for hidden_state).</param>
    /// <param name="drawn">The token drawn in the forward (<see cref="Request"/>); null draws it here from <paramref name="logits"/>.</param>
    public static DecodeStep Build(DecodeSequence sequence, ReadOnlySpan<float> logits, ReadOnlySpan<float> hidden, int? drawn)
    {
        var outputs = sequence.Outputs;
        var vocab = logits.Length;
        var step = new DecodeStep { Length = sequence.Tokens.Count, VocabSize = vocab };
        float[]? logprobs = null;
        if (outputs.FullLogprobs || outputs.TopK > 0 || outputs.ProbsFirstV > 0)
        {
            logprobs = new float[vocab];
            Logits.LogSoftmax(logits, 1, vocab, logprobs);
        }
        if (outputs.FullLogprobs)
        {
            step.Logprobs = Pack(logprobs!, outputs.FullLogprobsDtype == DType.F16 ? DType.F16 : DType.F32);
        }
        if (outputs.TopK > 0)
        {
            var ids = new int[outputs.TopK];
            var values = new float[outputs.TopK];
            Logits.TopK(logprobs, 1, vocab, outputs.TopK, ids, values);
            for (var j = 0; j < ids.Length; j++)
            {
                step.Top.Add(new TopToken { TokenId = ids[j], Value = values[j] });
            }
        }
        if (outputs.Top1Prob)
        {
            Span<float> top1 = stackalloc float[1];
            Logits.Top1Prob(logits, 1, vocab, top1);
            step.Top1Prob = top1[0];
        }
        if (outputs.Draw)
        {
            step.DrawnToken = drawn ?? Sampling.Sample(logits, sequence.Draw, CollectionsMarshal.AsSpan(sequence.Tokens), sequence.Seed,
                sequence.DrawCounter, 0);
        }
        foreach (var id in outputs.LogitIds)
        {
            step.Logits.Add(logits[id]);
        }
        if (outputs.Argmax || outputs.ArgmaxExcluding.Count > 0)
        {
            step.Argmax = Argmax(logits, outputs.ArgmaxExcluding);
        }
        if (outputs.ProbsFirstV > 0)
        {
            var probs = new float[outputs.ProbsFirstV];
            for (var v = 0; v < probs.Length; v++)
            {
                probs[v] = MathF.Exp(logprobs![v]);
            }
            step.Probs = Pack(probs, DType.F32);
        }
        if (outputs.HiddenState)
        {
            step.Hidden.Add(hidden.ToArray());
        }
        return step;
    }

    /// <summary>
    /// The step's draw in the forward (exactly <see cref="Build"/>'s): <paramref name="history"/> is every token of the
    /// sequence once the step's are in.
    /// </summary>
    public static SampleRequest Request(DecodeSequence sequence, int[] history) =>
        new(sequence.Draw, history, sequence.Seed, sequence.DrawCounterAt(history.Length), 0);

    /// <summary><paramref name="values"/> as PackedValues of <paramref name="dtype"/> (F32 or F16, little-endian).</summary>
    public static PackedValues Pack(float[] values, DType dtype)
    {
        byte[] bytes;
        if (dtype == DType.F16)
        {
            bytes = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
            }
        }
        else
        {
            bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }
        return new PackedValues { Dtype = dtype, Data = ByteString.CopyFrom(bytes), VocabSize = values.Length };
    }

    // Lowest id on ties, as the greedy pick.
    private static int Argmax(ReadOnlySpan<float> logits, IReadOnlyCollection<int> excluded)
    {
        var skip = excluded.Count == 0 ? null : excluded.ToHashSet();
        var best = -1;
        for (var v = 0; v < logits.Length; v++)
        {
            if (skip?.Contains(v) != true && (best < 0 || logits[v] > logits[best]))
            {
                best = v;
            }
        }
        return best;
    }

    private static void CheckIds(IReadOnlyList<int> ids, int vocab, string field, FieldProblems problems)
    {
        for (var j = 0; j < ids.Count; j++)
        {
            if (ids[j] < 0 || ids[j] >= vocab)
            {
                problems.Add(new Hosting.Errors.Problem($"{field}[{j}]", "BAD_TOKEN_ID", $"{field}[{j}] = {ids[j]} is outside the model's vocabulary (ids 0..{vocab - 1})"));
            }
        }
    }
}
