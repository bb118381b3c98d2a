using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>
/// weight_greedy_soup (methods-logit-weight.md §5): rank the models on dev (H5), start the soup from the best, and add
/// each next model in rank order when the uniform average of soup + model (M1, normalised; best-ranked first, so config
/// and tokenizer come from it) scores at least the soup's best dev score. Unlike the reference, which writes every
/// candidate to disk in f16 and re-merges the final soup, candidates are resident f32 merges and the accepted
/// candidate's id is kept; only a final soup of two or more models is written, to the run's artifact folder.
/// </summary>
public sealed class GreedySoupMethod : ICollaborationMethod
{
    /// <summary>The final soup's artifact name in the run's folder (the reference's path).</summary>
    public const string Artifact = "model_collaboration/logs/greedy_soup";

    /// <inheritdoc/>
    public string Id => "weight_greedy_soup";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var merges = FinalModel.Merges(context);
        var config = context.Config;
        var names = config.ModelNames;
        var dev = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var ranking = dev.Ranking;

        var soup = new List<int> { ranking[0] };
        var best = dev.Scores[ranking[0]];
        var model = names[ranking[0]];
        var candidates = new JsonArray();
        for (var r = 1; r < ranking.Count; r++)
        {
            var members = soup.Append(ranking[r]).ToList();
            var weight = 1.0 / members.Count;
            var merged = await merges.MergeAsync(context.Site("soup · merge", "candidate"), r,
                new MergeCall(MergeKind.Linear, [.. members.Select(i => new MergeInput(names[i], weight))]) { Normalize = true }, cancellationToken).ConfigureAwait(false);
            var score = await BestOnDev.ScoreModelAsync(context, merged.Id, $"candidate {r}", cancellationToken).ConfigureAwait(false);
            // The reference keeps a candidate that does not lower the score (≥), although its docs say "improves".
            var accepted = score >= best;
            candidates.Add(new JsonObject
            {
                ["models"] = new JsonArray([.. members.Select(i => (JsonNode)i)]),
                ["model_id"] = merged.Id,
                ["dev_score"] = score,
                ["accepted"] = accepted,
            });
            if (accepted)
            {
                soup = members;
                best = score;
                model = merged.Id;
            }
        }

        if (soup.Count > 1)
        {
            // A one-model soup is that model unchanged: nothing new to write.
            await merges.PersistAsync(model, context.ArtifactName(Artifact), cancellationToken).ConfigureAwait(false);
        }
        var (test, scored) = await FinalModel.AnswerTestAsync(context, model, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Head(config);
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["selected_models"] = new JsonArray([.. soup.Select(i => (JsonNode?)JsonValue.Create(names[i]))]);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = dev.Details();
        details["candidates"] = candidates;
        details["final_model"] = model;
        details["artifact"] = soup.Count > 1 ? context.ArtifactName(Artifact) : null;
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }
}
