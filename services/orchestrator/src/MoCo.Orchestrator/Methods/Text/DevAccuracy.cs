using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// The dev pass of best-on-dev (methods-text.md §0.8): each listed model answers every dev input once with the general
/// keys (one GenerateBatch per model, models concurrently), its raw outputs are scored, dev accuracy = the mean (0 on an
/// empty dev split). Calls are stored under their keys, so a resumed run regenerates nothing.
/// Minimal stand-in for the shared BestOnDev primitive being written in parallel: the coordinator folds its callers
/// (text_majority_vote, text_slm_mux) onto BestOnDev at merge and deletes this file.
/// </summary>
internal static class DevAccuracy
{
    private const string GeneratePhase = "dev · generate";
    private const string ScorePhase = "dev · score";

    /// <summary>Dev accuracy of each model of <paramref name="models"/> (indices into model_names), in that order.</summary>
    public static async Task<IReadOnlyList<double>> OfAsync(MethodContext context, IReadOnlyList<int> models, CancellationToken cancellationToken)
    {
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        if (dev.Items.Count == 0)
        {
            return [.. models.Select(_ => 0.0)];
        }
        var names = context.Config.ModelNames;
        var outputs = await SoloAnswers.EveryModelAsync(context, GeneratePhase, dev, models, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ScorePhase, "models", models.Count, cancellationToken).ConfigureAwait(false);
        var accuracy = new List<double>();
        for (var m = 0; m < models.Count; m++)
        {
            var scores = await context.Evaluation.ScoreAsync(dev, [.. outputs[m].Select(o => o.Texts[0])], OutputKind.Raw, cancellationToken).ConfigureAwait(false);
            accuracy.Add(scores.Mean);
            context.Recorder.Progress(ScorePhase, m + 1, names[models[m]]);
        }
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);
        return accuracy;
    }
}
