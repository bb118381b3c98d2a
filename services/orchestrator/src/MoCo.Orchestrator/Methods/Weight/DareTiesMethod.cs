using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>
/// weight_dare_ties (methods-logit-weight.md §6): a DARE-TIES merge (M3, M5, M6) of the fine-tunes in model_names onto
/// `base_model_name`, with uniform weights (`average`) or weights searched on dev (`optimized`: H1 particle swarm over
/// ℝⁿ, each particle's softmax (M12) the merge weights, its score the merge's dev mean). The final merge is saved as
/// `final_model` in the task folder of `dare_ties_base_path` and answers the test split. Unlike the reference, merges are
/// resident f32 models rather than f16 folders on disk, the swarm is seeded, and each iteration is a checkpoint, so a
/// resumed run continues from the last finished iteration.
/// </summary>
public sealed class DareTiesMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "weight_dare_ties";

    /// <summary>The phase of swarm iteration <paramref name="iteration"/> (1-based); its checkpoint is the swarm after
    /// the update.</summary>
    public static string IterationPhase(int iteration) => $"swarm · iteration {iteration}";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var merges = FinalModel.Merges(context);
        var config = context.Config;
        var keys = config.Hyperparameters;
        var n = config.ModelNames.Count;
        var folder = WeightArtifacts.TaskFolder(context, "dare_ties_base_path");
        var details = new JsonObject();
        IReadOnlyList<double> weights = keys.String("mode") == "optimized"
            ? await SearchAsync(context, merges, details, cancellationToken).ConfigureAwait(false)
            : [.. Enumerable.Repeat(1.0 / n, n)];

        var final = await merges.MergeAsync(context.Site("final · merge", "final_model"), 0, Merge(context, weights, softmax: false), cancellationToken)
            .ConfigureAwait(false);
        var artifact = context.ArtifactName($"{folder}/final_model");
        await merges.PersistAsync(final.Id, artifact, cancellationToken).ConfigureAwait(false);

        var (test, scored) = await FinalModel.AnswerTestAsync(context, final.Id, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Head(config);
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["best_weights"] = Numbers(weights);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        details["final_model"] = final.Id;
        details["artifact"] = artifact;
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    /// <summary>M12 in f64: the merge weights of a particle position (the log's best_weights).</summary>
    public static IReadOnlyList<double> Softmax(IReadOnlyList<double> x)
    {
        var max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToList();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    // H1 over the merge weights: every iteration merges and dev-scores each particle, then updates the swarm; the
    // swarm after each update is that iteration's checkpoint. Returns the softmax of the global best.
    private static async Task<IReadOnlyList<double>> SearchAsync(MethodContext context, IMergeService merges, JsonObject details, CancellationToken cancellationToken)
    {
        var keys = context.Config.Hyperparameters;
        var population = (int)keys.Int("population");
        var settings = SwarmSettings.From(keys, context.Config.ModelNames.Count, population);
        var swarm = NumericSwarm.Start(settings, SeededRng.For(context.Seed, context.Config.Method, "swarm", "start"));
        var iterations = new JsonArray();
        for (var t = 1; t <= keys.Int("max_iterations"); t++)
        {
            var phase = IterationPhase(t);
            if (await context.Recorder.BeginPhaseAsync(phase, "particles", population, cancellationToken).ConfigureAwait(false) is JsonObject stored)
            {
                swarm = NumericSwarm.Load(settings, stored["swarm"]!.AsObject());
                iterations.Add(stored["scores"]!.DeepClone());
                if ((bool)stored["stopped"]!)
                {
                    break;
                }
                continue;
            }
            var scores = new double[population];
            for (var i = 0; i < population; i++)
            {
                var merged = await merges.MergeAsync(context.Site("swarm · merge", $"particle/{i}"), t, Merge(context, swarm.Positions[i], softmax: true),
                    cancellationToken).ConfigureAwait(false);
                scores[i] = await BestOnDev.ScoreModelAsync(context, merged.Id, $"iteration {t} particle {i}", cancellationToken).ConfigureAwait(false);
                context.Recorder.Progress(phase, i + 1);
            }
            var moved = swarm.Update(scores, SeededRng.For(context.Seed, context.Config.Method, "swarm", "update", t.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            iterations.Add(Numbers(scores));
            await context.Recorder.EndPhaseAsync(phase, new JsonObject { ["swarm"] = swarm.Save(), ["scores"] = Numbers(scores), ["stopped"] = !moved },
                cancellationToken).ConfigureAwait(false);
            if (!moved)
            {
                break;
            }
        }
        details["particle_dev_scores"] = iterations;
        details["global_best"] = Numbers(swarm.GlobalBest!);
        details["global_best_score"] = swarm.GlobalBestScore;
        return Softmax(swarm.GlobalBest!);
    }

    // The M7 dare_ties call over model_names with the given weights (softmax: the server applies M12 first) and the
    // config's densities, λ, normalisation and rescaling.
    private static MergeCall Merge(MethodContext context, IReadOnlyList<double> weights, bool softmax)
    {
        var config = context.Config;
        var keys = config.Hyperparameters;
        var density = keys["density"];
        var densities = density.ValueKind == JsonValueKind.Array
            ? [.. density.EnumerateArray().Select(d => d.GetDouble())]
            : Enumerable.Repeat(density.GetDouble(), config.ModelNames.Count).ToList();
        return new MergeCall(MergeKind.DareTies, [.. config.ModelNames.Select((m, i) => new MergeInput(m, weights[i], densities[i]))],
            keys.String("base_model_name"))
        {
            Normalize = keys.Bool("normalize"),
            Lambda = keys.Number("lambda"),
            Rescale = keys.String("rescale"),
            WeightsSoftmax = softmax,
        };
    }

    private static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
