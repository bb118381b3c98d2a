using System.Runtime.InteropServices;
using MoCo.Contracts.V1;

namespace MoCo.Router.Decoding;

/// <summary>api_collm's decoding settings (methods-api.md §8): the trained generator and the mentor, the id of the
/// generator's deferral entry, the mentor's vocabulary V (compose mixes the first V ids), the threshold schedule, the
/// strategy and the token budget.</summary>
public sealed record CoLlmSettings(string Generator, string Mentor, int DeferId, int MentorVocabulary, CoLlmThresholds Thresholds, bool Compose, int MaxTokens);

/// <summary>One item's decode: the text (special tokens skipped), the generated ids, the steps that deferred and the
/// mentor's forward steps (catch-up appends included).</summary>
public sealed record CoLlmText(string Text, IReadOnlyList<int> Ids, int Deferred, int MentorSteps, string? Error = null);

/// <summary>
/// Deferral decoding (methods-api.md §8 inference), greedy, on one Decode stream per item. Each step reads the
/// generator's raw deferral logit z and its argmax over every other id; p = σ(z) above the step's threshold hands the
/// token to the mentor — "defer": the mentor's argmax on the same ids; "compose": the argmax of (1 − p)·softmax of the
/// generator's first V logits + p·softmax of the mentor's — else the generator's token stands. The mentor's sequence
/// opens at the first deferral and catches up on the ids written since its last step only when asked again, so a
/// run that never defers never runs the mentor (the reference recomputes both full sequences every step). Decoding
/// stops at the generator's EOS (not written), once the text holds "\n\nProblem" or "\n\nQuestion" (kept), or at the
/// budget.
/// </summary>
public static class CoLlmDecoding
{
    /// <summary>The system message of CoLLM's training rows and prompts (the reference's one sentence).</summary>
    public const string SystemMessage = "You are a helpful assistant that solves problems step by step.";

    /// <summary>The user message of a problem.</summary>
    public static string User(string problem) => "Problem: " + (problem ?? "").Trim();

    /// <summary>The [system, user] turns of a problem, rendered with the generation prompt to decode.</summary>
    public static IReadOnlyList<ChatTurn> Prompt(string problem) => [new("system", SystemMessage), new("user", User(problem))];

    /// <summary>Texts that end an item once the output contains them (the reference's stop strings).</summary>
    public static readonly IReadOnlyList<string> StopTexts = ["\n\nProblem", "\n\nQuestion"];

    /// <summary>Decodes one item from prompt ids <paramref name="prompt"/>; <paramref name="item"/> names its sequences.</summary>
    public static async Task<CoLlmText> RunAsync(IDecodeBackend backend, CoLlmSettings settings, IReadOnlyList<int> prompt, string item,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(settings);
        var eos = await backend.EosAsync(settings.Generator, cancellationToken).ConfigureAwait(false);
        var (g, m) = (item + "/g", item + "/m");
        var generatorOutputs = new StepOutputs { LogitIds = { settings.DeferId }, ArgmaxExcluding = { settings.DeferId } };
        var mentorOutputs = new StepOutputs { Argmax = true };
        if (settings.Compose)
        {
            generatorOutputs.ProbsFirstV = settings.MentorVocabulary;
            mentorOutputs.ProbsFirstV = settings.MentorVocabulary;
        }
        await using var session = backend.OpenSession(cancellationToken);
        var step = await session.OpenAsync(g, settings.Generator, prompt, generatorOutputs, 0, 0).ConfigureAwait(false);
        var ids = new List<int>();
        DecodeStep? mentorStep = null;
        int mentorSeen = 0, deferred = 0, mentorSteps = 0;
        var text = "";
        for (var t = 0; t < settings.MaxTokens; t++)
        {
            var p = 1.0 / (1.0 + Math.Exp(-step.Logits[0]));
            var token = step.Argmax.GetValueOrDefault();
            if (p > settings.Thresholds.At(t))
            {
                deferred++;
                if (mentorStep is null)
                {
                    mentorStep = await session.OpenAsync(m, settings.Mentor, [.. prompt, .. ids], mentorOutputs, 0, 0).ConfigureAwait(false);
                    mentorSteps++;
                }
                else if (mentorSeen < ids.Count)
                {
                    mentorStep = await session.AppendAsync(m, ids[mentorSeen..]).ConfigureAwait(false);
                    mentorSteps++;
                }
                mentorSeen = ids.Count;
                token = settings.Compose ? Compose(step, mentorStep, p) : mentorStep.Argmax.GetValueOrDefault();
            }
            if (eos.Contains(token))
            {
                break;
            }
            ids.Add(token);
            var detokenized = backend.DetokenizeAsync(settings.Generator, [[.. ids]], skipSpecial: true, cancellationToken);
            if (t + 1 == settings.MaxTokens)
            {
                text = (await detokenized.ConfigureAwait(false))[0];
                break;
            }
            // The stop check and the generator's next step are independent: both run at once, and a step taken past a
            // stop text is dropped with the session.
            var next = session.AppendAsync(g, [token]);
            text = (await detokenized.ConfigureAwait(false))[0];
            if (StopTexts.Any(s => text.Contains(s, StringComparison.Ordinal)))
            {
                // Dropped: its failure (a context the last token filled) must not fail an item that already stopped.
                await next.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                    .ConfigureAwait(false);
                break;
            }
            step = await next.ConfigureAwait(false);
        }
        return new CoLlmText(text, ids, deferred, mentorSteps);
    }

    /// <summary>argmax over v &lt; V of (1 − p)·q_g(v) + p·q_m(v), each q the softmax of that model's first V logits
    /// (the service reports full-vocabulary probabilities of those ids; renormalising them is the softmax after slicing).
    /// Lowest id on ties.</summary>
    public static int Compose(DecodeStep generator, DecodeStep mentor, double p)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(mentor);
        var qg = Probs(generator);
        var qm = Probs(mentor);
        double sg = 0, sm = 0;
        for (var v = 0; v < qg.Length; v++)
        {
            (sg, sm) = (sg + qg[v], sm + qm[v]);
        }
        var (best, bestValue) = (0, double.NegativeInfinity);
        for (var v = 0; v < qg.Length; v++)
        {
            var value = ((1 - p) * qg[v] / sg) + (p * qm[v] / sm);
            if (value > bestValue)
            {
                (best, bestValue) = (v, value);
            }
        }
        return best;
    }

    private static ReadOnlySpan<float> Probs(DecodeStep step) => step.Probs is { Dtype: DType.F32 } probs
        ? MemoryMarshal.Cast<byte, float>(probs.Data.Span)
        : throw new InvalidOperationException("the Decode step has no f32 probs_first_v although compose asked for them");
}
