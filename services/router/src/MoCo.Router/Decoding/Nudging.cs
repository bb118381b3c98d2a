using MoCo.Contracts.V1;
using MoCo.Router.Routing;

namespace MoCo.Router.Decoding;

/// <summary>api_nudging's settings for one (base, nudger) pair (methods-api.md §1): gamma, the step budget, the draw
/// temperature and whether to sample (false = greedy), and TextSync or append semantics.</summary>
public sealed record NudgingSettings(string BaseModel, string NudgingModel, double Gamma, int MaxSteps, double Temperature, bool DoSample, bool UseKvCache);

/// <summary>One item's nudged output: the text, which model wrote each piece (0 = base, 1 = nudger) and the steps taken;
/// an item whose prompt does not fit a model's context has <paramref name="Error"/> set and an empty text.</summary>
public sealed record NudgedText(string Text, IReadOnlyList<int> Authors, int Steps, string? Error = null);

/// <summary>
/// Nudging (methods-api.md §1): a base model writes; where its untempered top-1 probability is below gamma the nudging
/// model writes, at least to the end of a word. Both models share the response text S (TextSync, §0.6); each step both
/// draw a token on P_m + S (full-vocabulary softmax at the temperature, greedy without do_sample; draws keyed on
/// (seed, item, model)), and the first matching rule picks whose piece text extends S: (a) nudging and (nothing
/// accepted yet, or a nudge piece without a space, or p &lt; gamma) → the nudger's; (b) p ≥ gamma → the base's, ending
/// the nudge; (c) otherwise the nudger's, starting a nudge. Only the chosen model's EOS ends the item.
/// </summary>
public static class Nudging
{
    /// <summary>Nudges one item: <paramref name="prompt"/> is the user message; <paramref name="item"/> keys its draws.</summary>
    public static async Task<NudgedText> RunAsync(IDecodeBackend backend, NudgingSettings settings, string prompt, ulong seed, string item,
        CancellationToken cancellationToken)
    {
        var temperature = settings.DoSample ? settings.Temperature : 0;
        await using var session = backend.OpenSession(cancellationToken);
        var models = new[] { settings.BaseModel, settings.NudgingModel };
        var eos = await Task.WhenAll(models.Select(m => backend.EosAsync(m, cancellationToken))).ConfigureAwait(false);
        var rendered = await Task.WhenAll(models.Select(m => backend.RenderAsync(m, prompt, cancellationToken))).ConfigureAwait(false);
        var sequences = models.Select((m, i) => new TextSyncSequence(backend, session, $"{item}/{i}", m, rendered[i],
            new StepOutputs { Top1Prob = i == 0, Draw = true }, temperature, CounterRng.Bits(seed, "nudging", item, i, 0))).ToArray();
        var text = "";
        var nudging = true;
        var accepted = 0;
        var authors = new List<int>();
        var steps = 0;
        var last = "";
        for (; steps < settings.MaxSteps; steps++)
        {
            // use_kv_cache (append semantics, §0.6): after the first step each model appends the new piece tokenised
            // alone, without special tokens; otherwise TextSync re-tokenises P + S.
            var results = await Task.WhenAll(sequences.Select(s => settings.UseKvCache && steps > 0
                ? s.AppendPieceAsync(last, cancellationToken)
                : s.SyncAsync(text, cancellationToken))).ConfigureAwait(false);
            var p = results[0].Top1Prob ?? throw new InvalidOperationException($"Decode on {settings.BaseModel} reported no top-1 probability");
            var tokens = results.Select((r, i) => r.DrawnToken ?? throw new InvalidOperationException($"Decode on {models[i]} reported no drawn token")).ToArray();
            var pieces = await Task.WhenAll(sequences.Select((s, i) => s.PieceAsync(tokens[i], cancellationToken))).ConfigureAwait(false);
            int author;
            if (nudging && (accepted == 0 || !pieces[1].Contains(' ', StringComparison.Ordinal) || p < settings.Gamma))
            {
                (author, accepted) = (1, accepted + 1);
            }
            else if (p >= settings.Gamma)
            {
                (author, nudging, accepted) = (0, false, 0);
            }
            else
            {
                (author, nudging, accepted) = (1, true, 1);
            }
            if (eos[author].Contains(tokens[author]))
            {
                break;
            }
            text += pieces[author];
            authors.Add(author);
            last = pieces[author];
        }
        foreach (var sequence in sequences)
        {
            await sequence.CloseAsync().ConfigureAwait(false);
        }
        return new NudgedText(text, authors, steps);
    }

    /// <summary>The (gamma, nudger) pairs a search tries, gamma-major (§1 search): the grid [0.2, 0.3, 0.4, 0.5] or the
    /// given gamma, times every index other than the base or the given nudger.</summary>
    public static IReadOnlyList<(double Gamma, int Nudger)> Pairs(bool searchGamma, bool searchNudging, double gamma, int baseModel, int nudger, int models)
    {
        double[] gammas = searchGamma ? [0.2, 0.3, 0.4, 0.5] : [gamma];
        int[] nudgers = searchNudging ? [.. Enumerable.Range(0, models).Where(m => m != baseModel)] : [nudger];
        return [.. gammas.SelectMany(g => nudgers.Select(n => (g, n)))];
    }

    /// <summary>The index of the best pair: the highest dev score, the earliest on ties.</summary>
    public static int Best(IReadOnlyList<double> scores) => Enumerable.Range(0, scores.Count).Aggregate(0, (best, i) => scores[i] > scores[best] ? i : best);

}
