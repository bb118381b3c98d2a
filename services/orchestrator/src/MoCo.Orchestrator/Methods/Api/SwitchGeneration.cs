using System.Globalization;
using System.Text;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Routing;

namespace MoCo.Orchestrator.Methods.Api;

/// <summary>One item's SwitchGen state (methods-api.md §3): the query, the patches and their authors (0-based), the
/// sequence so far, and whether an `&lt;end&gt;` stopped it.</summary>
public sealed class SwitchState(string itemKey, string query)
{
    /// <summary>Call-key item (split and index, or a training key).</summary>
    public string ItemKey { get; } = itemKey;

    /// <summary>The query q.</summary>
    public string Query { get; } = query;

    /// <summary>Patches in order.</summary>
    public List<string> Segments { get; init; } = [];

    /// <summary>Each patch's model index.</summary>
    public List<int> Authors { get; init; } = [];

    /// <summary>Patches joined, each followed by a space, with the cues appended.</summary>
    public string Sequence { get; set; } = "";

    /// <summary>An `&lt;end&gt;` was appended: later rounds would not change the output, so they are skipped.</summary>
    public bool Ended { get; set; }

    /// <summary>A copy under another call-key item (a rollout continuing this prefix).</summary>
    public SwitchState Fork(string itemKey) => new(itemKey, Query) { Segments = [.. Segments], Authors = [.. Authors], Sequence = Sequence, Ended = Ended };

    /// <summary>The output: the sequence stripped, cut before the first `&lt;end&gt;`, stripped.</summary>
    public string Output => Sequence.Trim().Split("<end>")[0].Trim();
}

/// <summary>
/// SwitchGen (methods-api.md §3): in each round every open item's author is chosen (a selector model or a uniform
/// draw), the cue rule applies (" The final answer is" before the last round with objective_flag; a last patch under
/// patch_size characters gets " Wait," or `&lt;end&gt;`), and the author writes a patch_size-token patch by StdGen of
/// q + `&lt;begin&gt;` + sequence. Every call is keyed by item and round, so batching and resuming never change a result.
/// </summary>
public sealed class SwitchGeneration(MethodContext context, int patchSize, bool objective, bool wait)
{
    /// <summary>The selector prompt of a state: q, each patch between ` &lt;model a begins&gt; ` and ` &lt;model a ends&gt;`,
    /// and the question ending with the open stub `The answer is model `.</summary>
    public static string SelectorPrompt(SwitchState state, int models)
    {
        var prompt = new StringBuilder(state.Query);
        for (var i = 0; i < state.Segments.Count; i++)
        {
            prompt.Append(CultureInfo.InvariantCulture, $" <model {state.Authors[i]} begins> {state.Segments[i]} <model {state.Authors[i]} ends>");
        }
        prompt.Append(CultureInfo.InvariantCulture, $" Which model should generate the next segment? Please respond with a number from 0 to {models - 1}. The answer is model ");
        return prompt.ToString();
    }

    /// <summary>Rounds [<paramref name="from"/>, <paramref name="to"/>) of a run of <paramref name="total"/> rounds on
    /// <paramref name="states"/>; <paramref name="selector"/> null = uniform draws (purpose <paramref name="purpose"/>).</summary>
    public async Task RoundsAsync(IReadOnlyList<SwitchState> states, int from, int to, int total, string? selector, string phase, string purpose,
        bool objectiveOn, CancellationToken cancellationToken)
    {
        var models = context.Config.ModelNames;
        for (var round = from; round < to; round++)
        {
            var open = states.Where(s => !s.Ended).ToList();
            if (open.Count == 0)
            {
                return;
            }
            var authors = await ChooseAsync(open, round, selector, phase, purpose, cancellationToken).ConfigureAwait(false);
            foreach (var state in open)
            {
                if (round == total - 1 && objectiveOn && objective)
                {
                    // R = 1 has no earlier patch: the cue goes to the empty sequence (fix).
                    if (state.Segments.Count > 0)
                    {
                        state.Segments[^1] += " The final answer is";
                    }
                    state.Sequence += " The final answer is";
                }
                else if (round > 0 && round < total - 1 && state.Segments.Count > 0 && state.Segments[^1].Length < patchSize)
                {
                    var cue = wait ? " Wait," : "<end>";
                    state.Segments[^1] += cue;
                    state.Sequence += cue;
                    state.Ended = !wait;
                }
            }
            var writing = open.Select((s, i) => (State: s, Author: authors[i])).Where(w => !w.State.Ended).ToList();
            var patches = await Task.WhenAll(writing.GroupBy(w => w.Author).Select(async g =>
            {
                var site = context.Site(phase, $"model/{g.Key}");
                var results = await context.Generation.GenerateBatchAsync(models[g.Key], [.. g.Select(w => ChatPrompts.ForPrompt(site, w.State.ItemKey, round,
                    w.State.Query + "<begin>" + w.State.Sequence, new GenerationSettings(MaxNewTokens: patchSize)))], cancellationToken).ConfigureAwait(false);
                return g.Zip(results);
            })).ConfigureAwait(false);
            foreach (var (w, result) in patches.SelectMany(p => p))
            {
                var patch = result.Texts[0];
                w.State.Segments.Add(patch);
                w.State.Authors.Add(w.Author);
                w.State.Sequence += patch + " ";
            }
        }
    }

    private async Task<int[]> ChooseAsync(List<SwitchState> open, int round, string? selector, string phase, string purpose, CancellationToken cancellationToken)
    {
        var n = context.Config.ModelNames.Count;
        if (selector is null)
        {
            return [.. open.Select(s => CounterRng.Below(n, context.Seed, purpose, s.ItemKey, -1, round))];
        }
        var site = context.Site(phase, "selector");
        var results = await context.Generation.GenerateBatchAsync(selector,
            [.. open.Select(s => ChatPrompts.ForPrompt(site, s.ItemKey, round, SelectorPrompt(s, n)))], cancellationToken).ConfigureAwait(false);
        return [.. open.Select((s, i) => ParseChoice.Find(results[i].Texts[0], 0, n)
            ?? CounterRng.Below(n, context.Seed, purpose + "-fallback", s.ItemKey, -1, round))];
    }
}
