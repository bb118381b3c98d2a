using MoCo.Router.Training;

namespace MoCo.Router.Decoding;

/// <summary>One model's score of a continuation (inference Score, continuation mode): per continuation token its log-prob
/// and the position's maximum, the prompt's length in tokens, and the error when it could not be scored.</summary>
public sealed record ContinuationScore(IReadOnlyList<double> TokenLogprobs, IReadOnlyList<double> MaxLogprobs, int PromptTokens, string? Error);

/// <summary>
/// CoLLM's training data (methods-api.md §8 steps 1–3), the same for `moco run` and the router service: each row as the chat
/// [system, user: `Problem: ` + problem, assistant: solution] in the generator's own template (MoCo.NET: the template
/// inference uses, not the reference's Qwen format for every family), the completion both models score (the assistant
/// turn as the template closes it), the shared-tokenizer check, and the labelled deferral examples; then the trained
/// generator's deferral id.
/// </summary>
public static class CoLlmDeferralData
{
    /// <summary>The vocabulary entry the generator learns.</summary>
    public const string DeferToken = "<|defer|>";

    /// <summary>A training row as the chat it is trained on: [system, user: `Problem: ` + problem, assistant: solution].</summary>
    public static IReadOnlyList<ChatTurn> Conversation(CoLlmRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return [.. CoLlmDecoding.Prompt(row.Problem), new ChatTurn("assistant", row.Solution.Trim())];
    }

    /// <summary>The assistant turn as the template closes it: the rendered [system, user, assistant] conversation (trailing
    /// whitespace stripped, as the reference strips its text) after the rendered prompt. A template whose prompt is not a
    /// prefix of the conversation (or none at all) leaves the bare solution.</summary>
    public static async Task<string> CompletionAsync(IDecodeBackend decoding, string generator, CoLlmRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoding);
        ArgumentNullException.ThrowIfNull(row);
        var prompt = await decoding.TokenizeChatAsync(generator, CoLlmDecoding.Prompt(row.Problem), generationPrompt: true, cancellationToken).ConfigureAwait(false);
        var whole = await decoding.TokenizeChatAsync(generator, Conversation(row), generationPrompt: false, cancellationToken).ConfigureAwait(false);
        var text = whole.Text.TrimEnd();
        return text.StartsWith(prompt.Text, StringComparison.Ordinal) && text.Length > prompt.Text.Length ? text[prompt.Text.Length..] : row.Solution.Trim();
    }

    /// <summary>Training aligns the two models' positions and inference exchanges ids, so both must tokenise alike: the first
    /// row's whole conversation and the EOS ids are compared (the reference never checks).</summary>
    /// <exception cref="InvalidOperationException">They differ; the message names model_names and the fix.</exception>
    public static async Task CheckSharedTokenizerAsync(IDecodeBackend decoding, string generator, string mentor, CoLlmRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoding);
        var turns = Conversation(row);
        var (g, m) = (await decoding.TokenizeChatAsync(generator, turns, false, cancellationToken).ConfigureAwait(false),
            await decoding.TokenizeChatAsync(mentor, turns, false, cancellationToken).ConfigureAwait(false));
        var (ge, me) = (await decoding.EosAsync(generator, cancellationToken).ConfigureAwait(false), await decoding.EosAsync(mentor, cancellationToken).ConfigureAwait(false));
        if (!g.Ids.SequenceEqual(m.Ids) || !ge.SetEquals(me))
        {
            throw new InvalidOperationException($"model_names: api_collm's generator {generator} and mentor {mentor} tokenise differently " +
                $"({g.Ids.Length} vs {m.Ids.Length} ids for the first training row, EOS {string.Join(",", ge)} vs {string.Join(",", me)}); " +
                "training aligns their positions and inference exchanges token ids, so pick two models that share one tokenizer and chat template");
        }
    }

    /// <summary>The deferral example of each row both models scored (step 3's labels, the mentor's log-probs), with the
    /// row's index. A row the models could not score (beyond the context) or whose prompt fills
    /// <paramref name="maxLength"/> has no trainable token: the reference drops rows without unmasked labels.</summary>
    public static IReadOnlyList<(int Row, DeferralExample Example)> Examples(IReadOnlyList<CoLlmRow> rows, IReadOnlyList<string> completions,
        IReadOnlyList<ContinuationScore> own, IReadOnlyList<ContinuationScore> mentors, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(completions);
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(mentors);
        var examples = new List<(int, DeferralExample)>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (own[i].Error is not null || mentors[i].Error is not null || own[i].PromptTokens >= maxLength || own[i].TokenLogprobs.Count == 0)
            {
                continue;
            }
            var labels = CoLlmLabels.Of(own[i].TokenLogprobs, own[i].MaxLogprobs, mentors[i].TokenLogprobs, mentors[i].MaxLogprobs);
            examples.Add((i, new DeferralExample(CoLlmDecoding.Prompt(rows[i].Problem), completions[i], labels, [.. mentors[i].TokenLogprobs.Select(v => (float)v)])));
        }
        return examples;
    }

    /// <summary>The trained generator's deferral id: the entry must tokenise to one id of its own (the reference silently
    /// takes the last id when it is missing).</summary>
    /// <exception cref="InvalidOperationException">It does not.</exception>
    public static async Task<int> DeferIdAsync(IDecodeBackend decoding, string model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoding);
        var ids = await decoding.TokenizeAsync(model, DeferToken, special: false, cancellationToken).ConfigureAwait(false);
        return ids.Length == 1 ? ids[0] : throw new InvalidOperationException(
            $"the trained generator {model} does not have {DeferToken} as one vocabulary entry (it tokenises to {ids.Length} ids); retrain it");
    }
}
