using System.Globalization;
using MoCo.Router.Routing;

namespace MoCo.Router.Switching;

/// <summary>How a selector's training rows are drawn (methods-api.md §3): <paramref name="BatchSize"/> distinct dev
/// prompts per iteration, <paramref name="Iterations"/> = ⌊training_instance_num / batch_size⌋,
/// <paramref name="Rollouts"/> random rollouts per prompt, over runs of <paramref name="Rounds"/> patches.</summary>
public sealed record SelectorTrainingSettings(int BatchSize, int Iterations, int Rollouts, int Rounds);

/// <summary>One rollout to reward: its key, the dev prompt and the rollout's output.</summary>
public sealed record SelectorRollout(string ItemKey, string Prompt, string Output);

/// <summary>One selector training row: the selector prompt of a random prefix and the model (0-based) whose first patch
/// after it earned the highest mean reward.</summary>
public sealed record SelectorRow(string Prompt, int Label);

/// <summary>
/// api_switch_generation's selector training rows (methods-api.md §3), the same for `moco run` and the router service:
/// per iteration, batch_size distinct dev prompts drawn from the seed, a random prefix of c ∈ [1, R−3] rounds, then
/// rollout_per_instance random rollouts continuing each prefix to round R (absolute rounds, no answer cue), rewarded on
/// [user: prompt, assistant: rollout output]; the label is the model whose first new patch earned the highest mean
/// reward (−1000 for a model that wrote none, lowest index on equal means).
/// </summary>
public static class SelectorTraining
{
    /// <summary>Why <paramref name="settings"/> cannot train on <paramref name="devPrompts"/> dev prompts, naming the
    /// hyperparameter at fault; null when they can.</summary>
    public static (string Key, string Message)? Problem(int devPrompts, SelectorTrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.BatchSize < 1)
        {
            return ("batch_size", $"is {settings.BatchSize}: training a selector samples batch_size dev prompts per iteration");
        }
        if (settings.Rounds < 4)
        {
            return ("max_response_length", $"gives {settings.Rounds} rounds of patch_size tokens: training a selector needs max_response_length ≥ 4 · patch_size (prefixes of 1 to R−3 rounds)");
        }
        if (devPrompts < settings.BatchSize)
        {
            return ("batch_size", $"training a selector samples batch_size ({settings.BatchSize}) distinct dev prompts per iteration, and the dev set has {devPrompts}");
        }
        return settings.Iterations < 1 ? ("training_instance_num", $"is below batch_size ({settings.BatchSize}): no training iteration would run") : null;
    }

    /// <summary>The rows of every iteration, in order; <paramref name="generation"/> writes the prefixes and rollouts,
    /// <paramref name="rewards"/> scores each iteration's rollouts (one value per rollout, in order), and
    /// <paramref name="iterationDone"/> hears each finished iteration (1-based).</summary>
    /// <exception cref="ArgumentException">The settings cannot train on <paramref name="pool"/> (<see cref="Problem"/>).</exception>
    public static async Task<IReadOnlyList<SelectorRow>> RowsAsync(SwitchGeneration switcher, ISwitchModels generation, IReadOnlyList<string> pool, int models,
        ulong seed, SelectorTrainingSettings settings, Func<IReadOnlyList<SelectorRollout>, CancellationToken, Task<IReadOnlyList<double>>> rewards,
        Func<int, Task> iterationDone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(switcher);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(iterationDone);
        if (Problem(pool.Count, settings) is { } problem)
        {
            throw new ArgumentException($"{problem.Key} {problem.Message}", nameof(settings));
        }
        var (batch, rollouts, rounds) = (settings.BatchSize, settings.Rollouts, settings.Rounds);
        var rows = new List<SelectorRow>();
        for (var it = 0; it < settings.Iterations; it++)
        {
            var key = $"train/{it.ToString(CultureInfo.InvariantCulture)}";
            var order = Enumerable.Range(0, pool.Count).ToList();
            for (var i = order.Count - 1; i > 0; i--)
            {
                var j = CounterRng.Below(i + 1, seed, "switch-sample", key, -1, i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            var prompts = order.Take(batch).Select(i => pool[i]).ToList();
            var prefixRounds = 1 + CounterRng.Below(rounds - 3, seed, "switch-context", key, -1, 0);
            var prefixes = prompts.Select((p, b) => new SwitchState($"{key}/{b.ToString(CultureInfo.InvariantCulture)}", p)).ToList();
            await switcher.RoundsAsync(generation, prefixes, 0, prefixRounds, prefixRounds, null, "switch-prefix", objectiveOn: false, cancellationToken)
                .ConfigureAwait(false);
            var forks = prefixes.SelectMany(p => Enumerable.Range(0, rollouts).Select(k => p.Fork($"{p.ItemKey}/{k.ToString(CultureInfo.InvariantCulture)}"))).ToList();
            await switcher.RoundsAsync(generation, forks, prefixRounds, rounds, rounds, null, "switch-rollout", objectiveOn: false, cancellationToken)
                .ConfigureAwait(false);
            var rewarded = await rewards([.. forks.Select((f, n) => new SelectorRollout(f.ItemKey, prompts[n / rollouts], f.Output))], cancellationToken)
                .ConfigureAwait(false);
            for (var b = 0; b < prefixes.Count; b++)
            {
                var utility = Enumerable.Range(0, models).Select(m =>
                {
                    var mine = Enumerable.Range(b * rollouts, rollouts).Where(n => forks[n].Authors.Count > prefixRounds && forks[n].Authors[prefixRounds] == m).ToList();
                    return mine.Count == 0 ? -1000.0 : mine.Average(n => rewarded[n]);
                }).ToList();
                rows.Add(new SelectorRow(SwitchGeneration.SelectorPrompt(prefixes[b], models), utility.IndexOf(utility.Max())));
            }
            await iterationDone(it + 1).ConfigureAwait(false);
        }
        return rows;
    }
}
