using MoCo.Contracts.V1;
using MoCo.Models.Generation;

namespace MoCo.Inference.Requests;

/// <summary>Range checks of SamplingParams (contracts.md §2) and its conversion to the overrides the model's
/// generation_config.json defaults are merged under (<see cref="SamplingSettings.Resolve"/>).</summary>
public static class SamplingValidation
{
    /// <summary>Checks every set field of <paramref name="sampling"/> (null = none set).</summary>
    /// <param name="sampling">The request's sampling.</param>
    /// <param name="field">Its request path, e.g. "sampling".</param>
    /// <param name="problems">Where problems go.</param>
    public static void Check(SamplingParams? sampling, string field, FieldProblems problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (sampling is null)
        {
            return;
        }
        if (sampling.Temperature is { } t && !(float.IsFinite(t) && t >= 0))
        {
            problems.Invalid($"{field}.temperature", $"{field}.temperature must be >= 0 (0 = greedy), got {t}");
        }
        if (sampling.TopP is { } p && !(p > 0 && p <= 1))
        {
            problems.Invalid($"{field}.top_p", $"{field}.top_p must be in (0, 1] (1 = off), got {p}");
        }
        if (sampling.TopK is { } k && k < 0)
        {
            problems.Invalid($"{field}.top_k", $"{field}.top_k must be >= 0 (0 = off), got {k}");
        }
        if (sampling.MinP is { } m && !(m >= 0 && m <= 1))
        {
            problems.Invalid($"{field}.min_p", $"{field}.min_p must be in [0, 1] (0 = off), got {m}");
        }
        if (sampling.RepetitionPenalty is { } r && !(float.IsFinite(r) && r > 0))
        {
            problems.Invalid($"{field}.repetition_penalty", $"{field}.repetition_penalty must be > 0 (1 = off), got {r}");
        }
        if (sampling.MaxNewTokens is { } n && n < 1)
        {
            problems.Invalid($"{field}.max_new_tokens", $"{field}.max_new_tokens must be >= 1 (leave it unset for the model's default), got {n}");
        }
    }

    /// <summary>GenerateEnsemble's rule (contracts.md §4, L5): only temperature and max_new_tokens may be set.</summary>
    public static void CheckEnsemble(SamplingParams? sampling, string field, FieldProblems problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        Check(sampling, field, problems);
        if (sampling is null)
        {
            return;
        }
        foreach (var (name, set) in new[]
        {
            ("top_p", sampling.TopP is not null), ("top_k", sampling.TopK is not null), ("min_p", sampling.MinP is not null),
            ("repetition_penalty", sampling.RepetitionPenalty is not null), ("do_sample", sampling.DoSample is not null),
        })
        {
            if (set)
            {
                problems.Invalid($"{field}.{name}", $"{field}.{name} cannot be set for an ensemble: only temperature and max_new_tokens apply (L5)");
            }
        }
    }

    /// <summary>The fields the request sets, as overrides of the model's defaults.</summary>
    public static SamplingOverrides Overrides(SamplingParams? sampling) => sampling is null ? new SamplingOverrides() : new SamplingOverrides
    {
        Temperature = sampling.Temperature,
        TopP = sampling.TopP,
        TopK = sampling.TopK,
        MinP = sampling.MinP,
        RepetitionPenalty = sampling.RepetitionPenalty,
        DoSample = sampling.DoSample,
        MaxNewTokens = sampling.MaxNewTokens,
    };

    /// <summary>The settings in effect as the contract message, every field set (GenerateHeader.effective).</summary>
    public static SamplingParams ToMessage(SamplingSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new SamplingParams
        {
            Temperature = s.Temperature,
            TopP = s.TopP,
            TopK = s.TopK,
            MinP = s.MinP,
            RepetitionPenalty = s.RepetitionPenalty,
            DoSample = s.DoSample,
            MaxNewTokens = s.MaxNewTokens,
        };
    }
}
