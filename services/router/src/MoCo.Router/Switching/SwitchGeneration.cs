using System.Globalization;
using System.Text;
using MoCo.Router.Routing;

namespace MoCo.Router.Switching;

/// <summary>
/// SwitchGen (methods-api.md §3), the one patch loop of api_switch_generation's runs and of the router service's
/// Complete: in each round every open item's author is chosen (a selector model, ParseChoice 0..N−1 with a
/// counter-based fallback, or a uniform draw), the cue rule applies (" The final answer is" before the last round with
/// objective_flag; a last patch under patch_size characters gets " Wait," or `&lt;end&gt;`), and the author writes a
/// patch_size-token patch by StdGen of q + `&lt;begin&gt;` + sequence. Every draw and call is keyed by item and round, so
/// batching, resuming and serving never change a result.
/// </summary>
public sealed class SwitchGeneration(int models, ulong seed, int patchSize, bool objective, bool wait)
{
    /// <summary>The draw purpose of the test rounds (their selector fallback draws "switch-test-fallback").</summary>
    public const string TestPurpose = "switch-test";

    /// <summary>The selector prompt of a state: q, each patch between ` &lt;model a begins&gt; ` and ` &lt;model a ends&gt;`,
    /// and the question ending with the open stub `The answer is model `.</summary>
    public static string SelectorPrompt(SwitchState state, int models)
    {
        ArgumentNullException.ThrowIfNull(state);
        var prompt = new StringBuilder(state.Query);
        for (var i = 0; i < state.Segments.Count; i++)
        {
            prompt.Append(CultureInfo.InvariantCulture, $" <model {state.Authors[i]} begins> {state.Segments[i]} <model {state.Authors[i]} ends>");
        }
        prompt.Append(CultureInfo.InvariantCulture, $" Which model should generate the next segment? Please respond with a number from 0 to {models - 1}. The answer is model ");
        return prompt.ToString();
    }

    /// <summary>Rounds [<paramref name="from"/>, <paramref name="to"/>) of a run of <paramref name="total"/> rounds on
    /// <paramref name="states"/>, generating with <paramref name="generation"/>; <paramref name="selector"/> null =
    /// uniform draws (purpose <paramref name="purpose"/>).</summary>
    public async Task RoundsAsync(ISwitchModels generation, IReadOnlyList<SwitchState> states, int from, int to, int total, string? selector, string purpose,
        bool objectiveOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(generation);
        ArgumentNullException.ThrowIfNull(states);
        for (var round = from; round < to; round++)
        {
            var open = states.Where(s => !s.Ended).ToList();
            if (open.Count == 0)
            {
                return;
            }
            var authors = await ChooseAsync(generation, open, round, selector, purpose, cancellationToken).ConfigureAwait(false);
            foreach (var state in open)
            {
                Cue(state, round, total, objectiveOn);
            }
            var writing = open.Select((s, i) => (State: s, Author: authors[i])).Where(w => !w.State.Ended).ToList();
            var patches = await Task.WhenAll(writing.GroupBy(w => w.Author).Select(async g => g.Zip(await generation.PatchesAsync(g.Key,
                [.. g.Select(w => new SwitchCall(w.State.ItemKey, w.State.Query + "<begin>" + w.State.Sequence))], round, patchSize, cancellationToken)
                .ConfigureAwait(false)))).ConfigureAwait(false);
            foreach (var (w, patch) in patches.SelectMany(p => p))
            {
                w.State.Segments.Add(patch);
                w.State.Authors.Add(w.Author);
                w.State.Sequence += patch + " ";
            }
        }
    }

    // Step 2 of a round: the answer cue before the last round, or a short last patch's " Wait," / `<end>`.
    private void Cue(SwitchState state, int round, int total, bool objectiveOn)
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

    private async Task<int[]> ChooseAsync(ISwitchModels generation, List<SwitchState> open, int round, string? selector, string purpose,
        CancellationToken cancellationToken)
    {
        if (selector is null)
        {
            return [.. open.Select(s => CounterRng.Below(models, seed, purpose, s.ItemKey, -1, round))];
        }
        var texts = await generation.SelectAsync(selector, [.. open.Select(s => new SwitchCall(s.ItemKey, SelectorPrompt(s, models)))], round, cancellationToken)
            .ConfigureAwait(false);
        return [.. open.Select((s, i) => ParseChoice.OrDraw(texts[i], 0, models, seed, purpose + "-fallback", s.ItemKey, round))];
    }
}
