using System.Globalization;
using System.Text.Json.Nodes;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Dev means of the models that answered the dev split (by model index) and the winner: the first index with
/// the maximum mean (methods-text.md §0.8).</summary>
public sealed record DevSelection(IReadOnlyDictionary<int, double> Scores)
{
    /// <summary>The first model index with the highest dev mean; -1 when no model was scored.</summary>
    public int Best => Scores.Count == 0 ? -1 : Scores.OrderBy(p => p.Key).Aggregate((a, b) => b.Value > a.Value ? b : a).Key;

    /// <summary>H5 (methods-logit-weight.md §1.3): the scored model indices by dev mean, best first, ties in config order
    /// (a stable sort), so "worst" is the last and "bottom-k" the last k.</summary>
    public IReadOnlyList<int> Ranking => [.. Scores.OrderBy(p => p.Key).OrderByDescending(p => p.Value).Select(p => p.Key)];

    /// <summary>The log's `moco` details: dev means by model index and the winner.</summary>
    public JsonObject Details() => new()
    {
        ["dev_scores"] = new JsonObject([.. Scores.OrderBy(p => p.Key)
            .Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create(p.Value)))]),
        ["best_on_dev"] = Best,
    };
}

/// <summary>
/// Best-on-dev selection, BOD (methods-text.md §0.8): each model answers every dev item once with the config's general
/// keys, its raw outputs are scored, dev score = mean. Each model's dev answers are stored as items of its own phase
/// (<see cref="ItemsPhase"/>, split "dev"); the means are the checkpoint of <see cref="ScorePhase"/>, so a resumed run
/// takes them from the store without generating or scoring again, and a run stopped in between replays the stored
/// generations (call keys) and only scores.
/// </summary>
public static class BestOnDev
{
    /// <summary>Phase of the dev generations.</summary>
    public const string GeneratePhase = MoCo.Router.Routing.ApiCallSites.DevGeneratePhase;

    /// <summary>Phase of the dev scoring; its checkpoint holds the means.</summary>
    public const string ScorePhase = "dev · score";

    /// <summary>The items phase of model <paramref name="index"/>'s dev answers (stored items are unique per phase and
    /// index, and the same model may be listed twice).</summary>
    public static string ItemsPhase(int index) => $"dev · model {index}";

    /// <summary>BOD over every model of the config.</summary>
    public static Task<DevSelection> SelectAsync(MethodContext context, CancellationToken cancellationToken) =>
        ScoreAsync(context, [.. Enumerable.Range(0, context.Config.ModelNames.Count)], cancellationToken);

    /// <summary>Dev means of the models <paramref name="models"/> (indices into model_names); nothing runs when empty.</summary>
    public static async Task<DevSelection> ScoreAsync(MethodContext context, IReadOnlyList<int> models, CancellationToken cancellationToken)
    {
        if (models.Count == 0)
        {
            return new DevSelection(new Dictionary<int, double>());
        }
        var recorder = context.Recorder;
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        var generated = await recorder.BeginPhaseAsync(GeneratePhase, "calls", dev.Items.Count * models.Count, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<GenerationResult>[]? outputs = null;
        if (generated is null)
        {
            outputs = await GenerateAsync(context, dev, models, cancellationToken).ConfigureAwait(false);
            await recorder.EndPhaseAsync(GeneratePhase, new JsonArray([.. models.Select(m => (JsonNode)m)]), cancellationToken).ConfigureAwait(false);
        }
        if (await recorder.BeginPhaseAsync(ScorePhase, "models", models.Count, cancellationToken).ConfigureAwait(false) is JsonObject stored)
        {
            return new DevSelection(stored.ToDictionary(p => int.Parse(p.Key, CultureInfo.InvariantCulture), p => (double)p.Value!));
        }
        // Generation finished in an earlier execution: its calls answer from the store.
        outputs ??= await GenerateAsync(context, dev, models, cancellationToken).ConfigureAwait(false);
        var scores = new Dictionary<int, double>();
        for (var m = 0; m < models.Count; m++)
        {
            var index = models[m];
            var split = await context.Evaluation.ScoreAsync(dev, [.. outputs[m].Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            await SoloAnswers.RecordAsync(recorder, ItemsPhase(index), context.Config.ModelNames[index], dev, outputs[m], split, cancellationToken).ConfigureAwait(false);
            scores[index] = split.Mean;
            recorder.Progress(ScorePhase, m + 1, context.Config.ModelNames[index]);
        }
        var checkpoint = new JsonObject([.. scores.Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create(p.Value)))]);
        await recorder.EndPhaseAsync(ScorePhase, checkpoint, cancellationToken).ConfigureAwait(false);
        return new DevSelection(scores);
    }

    /// <summary>The dev mean of one model outside model_names — a merge result or other run-time id — as
    /// <see cref="ScoreAsync"/> computes a listed model's, in its own phase <c>dev · {label}</c> (role = label) whose
    /// checkpoint is the mean, so a resumed run neither generates nor scores it again.</summary>
    /// <param name="context">The run.</param>
    /// <param name="model">The model id to generate with.</param>
    /// <param name="label">Names the evaluation (e.g. `candidate 2`), unique within the run.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    public static async Task<double> ScoreModelAsync(MethodContext context, string model, string label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        return await ScoreModelAsync(context, model, label, dev, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="ScoreModelAsync(MethodContext, string, string, CancellationToken)"/> on <paramref name="dev"/>
    /// (e.g. a prefix of the dev split) with sampling <paramref name="settings"/> (null = the general keys).</summary>
    public static async Task<double> ScoreModelAsync(MethodContext context, string model, string label, TaskSplit dev, GenerationSettings? settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(dev);
        var phase = $"dev · {label}";
        var recorder = context.Recorder;
        if (await recorder.BeginPhaseAsync(phase, "calls", dev.Items.Count, cancellationToken).ConfigureAwait(false) is JsonValue stored)
        {
            return (double)stored;
        }
        var outputs = await SoloAnswers.GenerateAsync(context.Generation, model, context.Site(phase, label), dev, settings, cancellationToken).ConfigureAwait(false);
        var split = await context.Evaluation.ScoreAsync(dev, [.. outputs.Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        await SoloAnswers.RecordAsync(recorder, phase, model, dev, outputs, split, cancellationToken).ConfigureAwait(false);
        recorder.Progress(phase, dev.Items.Count, model);
        await recorder.EndPhaseAsync(phase, JsonValue.Create(split.Mean), cancellationToken).ConfigureAwait(false);
        return split.Mean;
    }

    private static Task<IReadOnlyList<GenerationResult>[]> GenerateAsync(MethodContext context, TaskSplit dev, IReadOnlyList<int> models,
        CancellationToken cancellationToken) =>
        Task.WhenAll(models.Select(i => SoloAnswers.GenerateAsync(context.Generation, context.Config.ModelNames[i], context.Site(GeneratePhase, $"model/{i}"),
            dev, null, cancellationToken)));
}
