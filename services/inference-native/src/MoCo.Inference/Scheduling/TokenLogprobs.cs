using Google.Protobuf;
using MoCo.Contracts.V1;
using MoCo.Inference.Requests;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// The per-token report of LogprobOptions (contracts.md §2): from the processed logits (after the sampling
/// processors, filtered ids −inf) or the raw ones, as log-softmax or the logit itself, the chosen token's value, the
/// top k (ties: lower id first) and optionally the whole vocabulary. One per job; scratch reused on the loop thread.
/// </summary>
internal sealed class TokenLogprobs(LogprobSettings settings, int vocab)
{
    private readonly float[] _values = new float[vocab];
    private readonly int[] _topIds = new int[Math.Max(settings.TopK, 1)];
    private readonly float[] _topValues = new float[Math.Max(settings.TopK, 1)];

    /// <summary>True when reports read the raw row, false when they read the processed one.</summary>
    public bool ReadsRaw => settings.Source == LogprobSource.Raw;

    /// <summary>The report for <paramref name="token"/> drawn from <paramref name="raw"/> whose processed row is <paramref name="processed"/>.</summary>
    public TokenLogprob Report(int token, ReadOnlySpan<float> raw, ReadOnlySpan<float> processed)
    {
        var source = ReadsRaw ? raw : processed;
        if (settings.Value == LogprobValue.Logprob)
        {
            Logits.LogSoftmax(source, 1, vocab, _values);
        }
        else
        {
            source[..vocab].CopyTo(_values);
        }
        var report = new TokenLogprob { TokenId = token, Value = _values[token] };
        var k = Math.Min(settings.TopK, vocab);
        if (k > 0)
        {
            Logits.TopK(_values, 1, vocab, k, _topIds, _topValues);
            for (var j = 0; j < k; j++)
            {
                report.Top.Add(new TopToken { TokenId = _topIds[j], Value = _topValues[j] });
            }
        }
        if (settings.FullVocab)
        {
            report.Full = Pack(_values, settings.FullVocabDtype);
        }
        return report;
    }

    private static PackedValues Pack(float[] values, DType dtype)
    {
        byte[] bytes;
        if (dtype == DType.F16)
        {
            bytes = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
            }
        }
        else
        {
            bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        }
        return new PackedValues { Dtype = dtype, Data = ByteString.CopyFrom(bytes), VocabSize = values.Length };
    }
}
