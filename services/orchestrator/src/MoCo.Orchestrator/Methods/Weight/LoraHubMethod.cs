using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>
/// weight_lorahub (methods-logit-weight.md §8, LoRAHub): the LoRA adapters of model_names (one base) are composed as
/// A' = Σ w_i A_i, B' = Σ w_i B_i (M10, an adapter served on the base) and w is searched gradient-free (H4, COBYLA in
/// the box ±`lora_weight_bound`, `max_inference_step` evaluations) to minimise (1 − dev mean) + `regular_coef`·Σ|w_i|/n
/// over the first `lorahub_dev_samples` dev items, generated greedily. The best evaluated composition answers the
/// test split greedily. Nothing is saved (the reference keeps the composed adapter in memory only). Unlike the
/// reference, prompts use the chat template like every other path (quirk), each candidate is its own adapter id
/// rather than weights swapped into one model, and an evaluator error fails the run instead of scoring 0. Every
/// evaluation's dev mean is a checkpoint and COBYLA is deterministic, so a resumed run replays the search without
/// generating again; `seed` is accepted for the reference's sake, but the search draws nothing. Only the best
/// composition so far stays resident.
/// </summary>
public sealed class LoraHubMethod : ICollaborationMethod
{
    private readonly IGradientFreeOptimizer _optimizer;

    /// <summary>The method with the spec's optimiser, COBYLA.</summary>
    public LoraHubMethod()
        : this(new Cobyla())
    {
    }

    /// <summary>The method with another optimiser.</summary>
    public LoraHubMethod(IGradientFreeOptimizer optimizer) => _optimizer = optimizer;

    /// <inheritdoc/>
    public string Id => "weight_lorahub";

    /// <summary>The dev evaluation label of objective evaluation <paramref name="index"/> (0-based).</summary>
    public static string EvaluationLabel(int index) => "evaluation " + index.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var merges = FinalModel.Merges(context);
        var config = context.Config;
        var keys = config.Hyperparameters;
        var names = config.ModelNames;
        var n = names.Count;
        var coefficient = keys.Number("regular_coef");
        // Greedy everywhere: the reference ignores temperature and top_p.
        var greedy = new GenerationSettings(Temperature: 0);
        var dev = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
        var prefix = dev with { Items = [.. dev.Items.Take((int)keys.Int("lorahub_dev_samples"))], Partial = true };

        var adapters = new Dictionary<int, string>();
        var evaluations = new JsonArray();
        // Only the best composition so far stays resident (the optimiser keeps the earliest of equal losses too).
        (int Index, double Loss)? kept = null;
        var best = await _optimizer.MinimizeAsync(n, (int)keys.Int("max_inference_step"), keys.Number("lora_weight_bound"), async (k, w) =>
        {
            var composed = await merges.MergeAsync(context.Site("lorahub · compose", "candidate"), k,
                new MergeCall(MergeKind.LoraLinear, [.. names.Select((m, i) => new MergeInput(m, w[i]))]), cancellationToken).ConfigureAwait(false);
            adapters[k] = composed.Id;
            var score = await BestOnDev.ScoreModelAsync(context, composed.Id, EvaluationLabel(k), prefix, greedy, cancellationToken).ConfigureAwait(false);
            var loss = (1 - score) + coefficient * w.Sum(Math.Abs) / n;
            evaluations.Add(new JsonObject { ["weights"] = Numbers(w), ["dev_score"] = score, ["loss"] = loss, ["adapter"] = composed.Id });
            if (kept is { } previous && !(loss < previous.Loss))
            {
                await merges.ReleaseAsync(composed.Id, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (kept is { } superseded)
                {
                    await merges.ReleaseAsync(adapters[superseded.Index], cancellationToken).ConfigureAwait(false);
                }
                kept = (k, loss);
            }
            return loss;
        }, cancellationToken).ConfigureAwait(false);

        if (kept?.Index != best.Index)
        {
            throw new InvalidOperationException($"the optimiser chose evaluation {best.Index}, but evaluation {kept?.Index} has the lowest loss");
        }
        var model = adapters[best.Index];
        var (test, scored) = await FinalModel.AnswerTestAsync(context, model, greedy, cancellationToken).ConfigureAwait(false);
        await merges.ReleaseAsync(model, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Head(config);
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["learned_weights"] = Numbers(best.Point);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = new JsonObject
        {
            ["evaluations"] = evaluations,
            ["best_evaluation"] = best.Index,
            ["final_model"] = model,
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    private static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
