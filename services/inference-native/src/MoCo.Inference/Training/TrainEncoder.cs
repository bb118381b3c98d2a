using MoCo.Contracts.V1;
using MoCo.Inference.Requests;
using MoCo.Inference.Text;
using ContractExample = MoCo.Contracts.V1.TrainExample;
using NativeExample = MoCo.Native.Training.TrainExample;

namespace MoCo.Inference.Training;

/// <summary>
/// Turns contract examples into training sequences exactly as inference sees them (methods-text.md §0.9): the prompt
/// through <see cref="PromptEncoder"/> (chat template plus generation prompt), masked; the completion tokenised
/// without special tokens plus the end-of-turn/EOS id, as targets. SFT keeps the start of a long example; DPO keeps
/// the prompt's last 512 tokens and the end of each concatenation.
/// </summary>
public sealed class TrainEncoder(TrainSettings settings)
{
    private const int DpoPromptTokens = 512;

    private readonly ModelText _text = settings.Base.Text;
    private readonly List<sbyte[]> _deferralLabels = [];
    private readonly int _maxLength = Math.Min(settings.Hyper.MaxLength, settings.Base.Text.ContextLength);

    // The tokenizer's EOS when it has one, else the first EOS id generation stops on: what ends a trained completion.
    private readonly int? _eos = settings.Base.Text.Files.TokenizerEosId
        ?? MoCo.Models.Generation.EosStopSet.Resolve(MoCo.Models.Generation.EosStop.EosSet, null, settings.Base.Text.Generation).Cast<int?>().FirstOrDefault();

    /// <summary>COLLM_DEFERRAL: per encoded example, one label per token (1 defer, 0 keep, -100 on the prompt).</summary>
    public IReadOnlyList<sbyte[]> DeferralLabels => _deferralLabels;

    /// <summary>The sequences of example <paramref name="index"/>: one for SFT and COLLM_DEFERRAL, chosen then rejected for DPO; for
    /// POLICY_GRADIENT the prompt alone (its completions are sampled during the job).</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the example's bad field.</exception>
    public NativeExample[] Encode(ContractExample example, int index)
    {
        ArgumentNullException.ThrowIfNull(example);
        var field = $"examples[{index}]";
        var problems = new FieldProblems();
        var expected = settings.Kind switch
        {
            TrainKind.Dpo => ContractExample.TargetOneofCase.Preference,
            TrainKind.PolicyGradient => ContractExample.TargetOneofCase.PromptOnly,
            TrainKind.CollmDeferral => ContractExample.TargetOneofCase.Deferral,
            _ => ContractExample.TargetOneofCase.Completion,
        };
        if (example.TargetCase != expected)
        {
            problems.Invalid(field, $"a {TrainJobs.KindName(settings.Kind)} example needs {TargetName(expected)}, got {example.TargetCase}");
        }
        if (example.Prompt is null || example.Prompt.FormCase == Prompt.FormOneofCase.None)
        {
            problems.Missing(field + ".prompt", "the prompt is empty: set chat, text or tokens");
        }
        problems.ThrowIfAny();

        var prompt = PromptEncoder.Encode(_text, settings.Base.Id, example.Prompt!, new PromptSettings(), field + ".prompt").TokenIds;
        if (settings.Kind == TrainKind.PolicyGradient)
        {
            return [PromptOnly(prompt, field)];
        }
        if (settings.Kind == TrainKind.CollmDeferral)
        {
            return [Deferral(prompt, example.Deferral, field + ".deferral")];
        }
        if (settings.Kind != TrainKind.Dpo)
        {
            return [Sequence(prompt, Completion(example.Completion, field + ".completion"), keepEnd: false, field)];
        }
        var kept = prompt.Count > DpoPromptTokens ? prompt.Skip(prompt.Count - DpoPromptTokens).ToList() : prompt;
        return
        [
            Sequence(kept, Completion(example.Preference.Chosen, field + ".preference.chosen"), keepEnd: true, field + ".preference.chosen"),
            Sequence(kept, Completion(example.Preference.Rejected, field + ".preference.rejected"), keepEnd: true, field + ".preference.rejected"),
        ];
    }

    private static string TargetName(ContractExample.TargetOneofCase target) => target switch
    {
        ContractExample.TargetOneofCase.Preference => "preference",
        ContractExample.TargetOneofCase.PromptOnly => "prompt_only",
        ContractExample.TargetOneofCase.Deferral => "deferral",
        _ => "completion",
    };

    // A policy-gradient prompt must leave room for at least one sampled token within max_length.
    private NativeExample PromptOnly(IReadOnlyList<int> prompt, string field)
    {
        if (prompt.Count == 0 || prompt.Count >= _maxLength)
        {
            throw Hosting.Errors.MocoErrors.InvalidArgument(new Hosting.Errors.Problem(field + ".prompt", "INVALID_VALUE",
                $"the prompt has {prompt.Count} tokens; a policy-gradient prompt needs 1 to {_maxLength - 1} (max_length {_maxLength}) so that a completion fits"));
        }
        return new NativeExample(prompt.ToArray());
    }

    // The completion exactly as sent (the caller scored these very tokens with the mentor, so no end token is added),
    // with one label and one mentor log-prob per completion token; a long example loses its end.
    private NativeExample Deferral(IReadOnlyList<int> prompt, DeferralTarget target, string field)
    {
        var completion = Completion(target.Completion, field + ".completion", appendEos: false);
        var problems = new FieldProblems();
        if (target.DeferralLabels.Count != completion.Count)
        {
            problems.Invalid(field + ".deferral_labels", $"one label per completion token: the completion has {completion.Count} tokens, got {target.DeferralLabels.Count} labels");
        }
        if (target.MentorLogprobs.Count != completion.Count)
        {
            problems.Invalid(field + ".mentor_logprobs", $"one mentor log-prob per completion token: the completion has {completion.Count} tokens, got {target.MentorLogprobs.Count}");
        }
        var badLabel = target.DeferralLabels.Select((l, j) => (l, j)).FirstOrDefault(x => x.l is not (0 or 1 or -100));
        if (badLabel.l is not (0 or 1 or -100))
        {
            problems.Invalid($"{field}.deferral_labels[{badLabel.j}]", $"a label is 1 (defer), 0 (keep) or -100 (ignored), got {badLabel.l}");
        }
        var badLogprob = target.MentorLogprobs.Select((p, j) => (p, j)).FirstOrDefault(x => !(x.p <= 0) || !float.IsFinite(x.p));
        if (target.MentorLogprobs.Any(p => !(p <= 0) || !float.IsFinite(p)))
        {
            problems.Invalid($"{field}.mentor_logprobs[{badLogprob.j}]", $"a log-prob is finite and <= 0, got {badLogprob.p}");
        }
        problems.ThrowIfAny();

        var sequence = Sequence(prompt, completion, keepEnd: false, field);
        var n = sequence.Tokens.Length;
        var labels = new sbyte[n];
        var mentor = new float[n];
        Array.Fill(labels, (sbyte)-100);
        for (var t = prompt.Count; t < n; t++)
        {
            labels[t] = (sbyte)target.DeferralLabels[t - prompt.Count];
            mentor[t] = target.MentorLogprobs[t - prompt.Count];
        }
        _deferralLabels.Add(labels);
        return sequence with { MentorLogprobs = mentor };
    }

    private List<int> Completion(Continuation? completion, string field, bool appendEos = true)
    {
        var ids = (completion?.FormCase ?? Continuation.FormOneofCase.None) switch
        {
            Continuation.FormOneofCase.Text => _text.Tokenizer.Encode(completion!.Text, addSpecialTokens: false).ToList(),
            Continuation.FormOneofCase.Tokens => Checked(completion!.Tokens.Ids, field + ".tokens.ids"),
            _ => throw Hosting.Errors.MocoErrors.InvalidArgument(new Hosting.Errors.Problem(field, "MISSING_FIELD", "set the completion's text or tokens")),
        };
        if (appendEos && _eos is { } eos)
        {
            ids.Add(eos);
        }
        return ids;
    }

    private List<int> Checked(IReadOnlyList<int> ids, string field)
    {
        for (var j = 0; j < ids.Count; j++)
        {
            if (!_text.IsValidId(ids[j]) || ids[j] >= _text.HeadRows)
            {
                throw TextErrors.BadTokenId(settings.Base.Id, $"{field}[{j}]", ids[j], _text);
            }
        }
        return [.. ids];
    }

    // Prompt tokens are masked (0), completion tokens are targets (1); a sequence longer than max_length loses its end
    // (SFT) or its start (DPO).
    private NativeExample Sequence(IReadOnlyList<int> prompt, List<int> completion, bool keepEnd, string field)
    {
        var tokens = prompt.Concat(completion).ToArray();
        var mask = new byte[tokens.Length];
        Array.Fill(mask, (byte)1, prompt.Count, completion.Count);
        var start = keepEnd ? Math.Max(0, tokens.Length - _maxLength) : 0;
        var length = Math.Min(tokens.Length, _maxLength);
        tokens = tokens[start..(start + length)];
        mask = mask[start..(start + length)];
        // The first token is never a target (nothing predicts it), so a sequence needs a target after it.
        if (tokens.Length < 2 || !mask.AsSpan(1).Contains((byte)1))
        {
            throw Hosting.Errors.MocoErrors.InvalidArgument(new Hosting.Errors.Problem(field, "INVALID_VALUE",
                $"no completion token is left to train on ({prompt.Count} prompt + {completion.Count} completion tokens, max_length {_maxLength})"));
        }
        return new NativeExample(tokens, mask);
    }
}
