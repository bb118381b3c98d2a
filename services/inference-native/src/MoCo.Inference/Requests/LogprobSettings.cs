using MoCo.Contracts.V1;

namespace MoCo.Inference.Requests;

/// <summary>The per-token log-probs a generation reports (contracts.md §2 LogprobOptions), defaults applied.</summary>
/// <param name="Enabled">Report a TokenLogprob per generated token; when false nothing else here applies.</param>
/// <param name="TopK">Alternatives per token, best first; 0 = the chosen token only.</param>
/// <param name="Source">PROCESSED (default) or RAW.</param>
/// <param name="Value">LOGPROB (default) or LOGIT.</param>
/// <param name="FullVocab">Also report every id's value.</param>
/// <param name="FullVocabDtype">F32 (default) or F16.</param>
public sealed record LogprobSettings(bool Enabled, int TopK, LogprobSource Source, LogprobValue Value, bool FullVocab, DType FullVocabDtype)
{
    /// <summary>Nothing reported.</summary>
    public static LogprobSettings Off { get; } = new(false, 0, LogprobSource.Processed, LogprobValue.Logprob, false, DType.F32);

    /// <summary>Checks <paramref name="options"/>; fields are only checked when log-probs are enabled, since they do not apply otherwise.</summary>
    public static void Check(LogprobOptions? options, RequestLimits limits, string field, FieldProblems problems)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(problems);
        if (options is not { Enabled: true })
        {
            return;
        }
        if (options.TopK < 0 || options.TopK > limits.MaxLogprobsTopK)
        {
            problems.Invalid($"{field}.top_k", $"{field}.top_k must be in [0, {limits.MaxLogprobsTopK}], got {options.TopK}");
        }
        if (options.FullVocab && options.FullVocabDtype is not (DType.Unspecified or DType.F32 or DType.F16))
        {
            problems.Invalid($"{field}.full_vocab_dtype", $"{field}.full_vocab_dtype must be DTYPE_F32 or DTYPE_F16, got {options.FullVocabDtype}");
        }
    }

    /// <summary>The settings in effect; unknown enum values read as their defaults (contracts.md §11).</summary>
    public static LogprobSettings Resolve(LogprobOptions? options) => options is not { Enabled: true } ? Off : new LogprobSettings(
        true,
        options.TopK,
        options.Source == LogprobSource.Raw ? LogprobSource.Raw : LogprobSource.Processed,
        options.Value == LogprobValue.Logit ? LogprobValue.Logit : LogprobValue.Logprob,
        options.FullVocab,
        options.FullVocabDtype == DType.F16 ? DType.F16 : DType.F32);
}
