using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>
/// weight_expo (methods-logit-weight.md §9): rank the models on dev (H5), take the worst as source and the best as
/// target (`topk_bottomk`: the uniform soups (M1) of the bottom k and the top k, k clipped to [1, ⌊n/2⌋]) and
/// extrapolate past the target, θ_t + α(θ_t − θ_s) (M8), with the fixed `alpha` or the first best-on-dev of
/// `alpha_candidates`. The final model is saved as `final_model` in the task folder of `expo_base_path` and answers the
/// test split. `pairs` extrapolates within one (sft, dpo) pair — zip(`sft_models`, `dpo_models`), else consecutive
/// pairs of model_names — chosen on dev by `pair_selection` when there are several. Unlike the reference, the chosen
/// candidate's resident f32 merge is reused rather than recomputed in bf16.
/// </summary>
public sealed class ExpoMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "weight_expo";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var merges = FinalModel.Merges(context);
        var config = context.Config;
        var keys = config.Hyperparameters;
        var mode = keys.String("mode")!;
        var folder = WeightArtifacts.TaskFolder(context, "expo_base_path");
        var names = config.ModelNames;
        DevSelection? dev = null;
        JsonObject details;
        string target, targetName, source, sourceName;
        if (mode == "pairs")
        {
            var pair = await ExpoPairs.ChooseAsync(context, cancellationToken).ConfigureAwait(false);
            (source, target) = (pair.Source, pair.Target);
            (sourceName, targetName) = (source, target);
            details = pair.Details;
        }
        else
        {
            dev = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
            var ranking = dev.Ranking;
            var k = mode == "topk_bottomk" ? Math.Max(1, (int)Math.Min(keys.Int("k"), names.Count / 2)) : 1;
            (target, targetName) = await EndAsync(context, merges, [.. ranking.Take(k)], "merged_topk", folder, cancellationToken).ConfigureAwait(false);
            (source, sourceName) = await EndAsync(context, merges, [.. ranking.TakeLast(k)], "merged_bottomk", folder, cancellationToken).ConfigureAwait(false);
            details = dev.Details();
        }

        var optimized = keys.String("alpha_mode") == "optimized";
        IReadOnlyList<double> alphas = optimized ? keys.Numbers("alpha_candidates")! : [keys.Number("alpha")];
        var candidateScores = new JsonArray();
        string? chosen = null;
        var alpha = alphas[0];
        var best = double.NegativeInfinity;
        for (var c = 0; c < alphas.Count; c++)
        {
            var merged = await merges.MergeAsync(context.Site("expo · extrapolate", "candidate"), c,
                new MergeCall(MergeKind.Extrapolate, [new MergeInput(target)], source) { Alpha = alphas[c] }, cancellationToken).ConfigureAwait(false);
            if (!optimized)
            {
                chosen = merged.Id;
                break;
            }
            var score = await BestOnDev.ScoreModelAsync(context, merged.Id, $"alpha {c}", cancellationToken).ConfigureAwait(false);
            candidateScores.Add(new JsonObject { ["alpha"] = alphas[c], ["dev_score"] = score });
            if (score > best)
            {
                (best, alpha, chosen) = (score, alphas[c], merged.Id);
            }
        }
        var artifact = context.ArtifactName($"{folder}/final_model");
        await merges.PersistAsync(chosen!, artifact, cancellationToken).ConfigureAwait(false);

        var (test, scored) = await FinalModel.AnswerTestAsync(context, chosen!, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Head(config);
        summary["method"] = "expo";
        summary["mode"] = mode;
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        if (dev is not null)
        {
            // A dict by name, as the reference's: a model listed twice keeps its last listing's score.
            var modelScores = new JsonObject();
            for (var i = 0; i < names.Count; i++)
            {
                modelScores[names[i]] = dev.Scores[i];
            }
            summary["model_scores"] = modelScores;
        }
        summary["source_model"] = sourceName;
        summary["target_model"] = targetName;
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["alpha"] = alpha;
        if (dev is not null)
        {
            summary["alpha_mode"] = keys.String("alpha_mode");
        }
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        details["alpha_candidates"] = candidateScores;
        details["final_model"] = chosen;
        details["artifact"] = artifact;
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    // One end of the extrapolation: the model itself, or for k ≥ 2 the uniform soup of the k models (M1, normalised),
    // named in the log by the reference's folder. Returns the model to merge and its log name.
    private static async Task<(string Model, string LogName)> EndAsync(MethodContext context, IMergeService merges, IReadOnlyList<int> models, string role,
        string folder, CancellationToken cancellationToken)
    {
        var names = context.Config.ModelNames;
        if (models.Count == 1)
        {
            return (names[models[0]], names[models[0]]);
        }
        var weight = 1.0 / models.Count;
        var merged = await merges.MergeAsync(context.Site("expo · merge", role), 0,
            new MergeCall(MergeKind.Linear, [.. models.Select(i => new MergeInput(names[i], weight))]) { Normalize = true }, cancellationToken).ConfigureAwait(false);
        return (merged.Id, $"{folder}/{role}");
    }
}
