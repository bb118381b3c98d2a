using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One model answering every item of a split once and being scored on it — single_model, the baselines of the
/// results table (config-and-cli.md §4.3) and every method's per-model pass share it.</summary>
public static class SoloAnswers
{
    /// <summary>The items phase of a model's baseline: one per model, because stored items are unique per (run, phase,
    /// split, index) and every baseline model answers the same items.</summary>
    public static string BaselinePhase(string model) => "baseline · " + model;

    /// <summary>Model <paramref name="model"/> answers every item of <paramref name="split"/> at <paramref name="site"/>.</summary>
    public static Task<IReadOnlyList<GenerationResult>> GenerateAsync(IGenerationService generation, string model, CallSite site, TaskSplit split,
        GenerationSettings? settings, CancellationToken cancellationToken) =>
        generation.GenerateBatchAsync(model, [.. split.Items.Select(item => ChatPrompts.ForItem(site, split, item, settings))], cancellationToken);

    /// <summary>Every model of <paramref name="models"/> (indices into model_names; null = all) answers every item of
    /// <paramref name="split"/> once with the general keys, one GenerateBatch per model, models concurrently, inside the
    /// phase <paramref name="phase"/> (role `model/{index}`). Outputs in <paramref name="models"/> order.</summary>
    public static async Task<IReadOnlyList<GenerationResult>[]> EveryModelAsync(MethodContext context, string phase, TaskSplit split, IReadOnlyList<int>? models,
        CancellationToken cancellationToken)
    {
        var names = context.Config.ModelNames;
        IReadOnlyList<int> chosen = models ?? [.. Enumerable.Range(0, names.Count)];
        await context.Recorder.BeginPhaseAsync(phase, "calls", split.Items.Count * chosen.Count, cancellationToken).ConfigureAwait(false);
        var outputs = await Task.WhenAll(chosen.Select(i =>
            GenerateAsync(context.Generation, names[i], context.Site(phase, $"model/{i}"), split, null, cancellationToken))).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
        return outputs;
    }

    /// <summary>Records one item per output of <paramref name="model"/> (`test` for a method's own items; baselines use
    /// <see cref="BaselinePhase"/>), with the generation error in extras when the item failed.</summary>
    public static async Task RecordAsync(IRunRecorder recorder, string phase, string? model, TaskSplit split, IReadOnlyList<GenerationResult> outputs,
        SplitScore scores, CancellationToken cancellationToken)
    {
        for (var k = 0; k < split.Items.Count; k++)
        {
            var item = split.Items[k];
            var extras = new JsonObject();
            if (outputs[k].Error is { } error)
            {
                extras["error"] = error;
            }
            await recorder.ItemFinishedAsync(new FinishedItem(phase, split.Name, item.Index, item.Id, item.Prompt, outputs[k].Texts[0], scores.Items[k].Parsed,
                scores.Items[k].Score, extras, model), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Baselines a method already has (config-and-cli.md §4.3): <paramref name="outputs"/>[i] are model_names[i]'s own
    /// answers to every item of <paramref name="test"/> with the general keys; each distinct model's (its first listing)
    /// are scored raw and recorded under <see cref="BaselinePhase"/>. Scores by model index, null for a repeated listing.
    /// </summary>
    public static async Task<IReadOnlyList<SplitScore?>> BaselinesAsync(MethodContext context, TaskSplit test,
        IReadOnlyList<IReadOnlyList<GenerationResult>> outputs, CancellationToken cancellationToken)
    {
        var models = context.Config.ModelNames;
        var scores = new SplitScore?[models.Count];
        for (var i = 0; i < models.Count; i++)
        {
            if (models.ToList().IndexOf(models[i]) != i)
            {
                continue;
            }
            scores[i] = await context.Evaluation.ScoreAsync(test, [.. outputs[i].Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            await RecordAsync(context.Recorder, BaselinePhase(models[i]), models[i], test, outputs[i], scores[i]!, cancellationToken).ConfigureAwait(false);
        }
        return scores;
    }

    /// <summary>The baselines of <see cref="BaselinesAsync"/>'s scores, in model order.</summary>
    public static IReadOnlyList<ModelBaseline> Baselines(MethodContext context, IReadOnlyList<SplitScore?> scores) =>
        [.. scores.Select((s, i) => s is null ? null : new ModelBaseline(context.Config.ModelNames[i], s.Mean)).OfType<ModelBaseline>()];
}
