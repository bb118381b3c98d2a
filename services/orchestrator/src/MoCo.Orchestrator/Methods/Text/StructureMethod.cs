using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_structure (methods-text.md §9): BOD picks B before any interaction; round 1, every model answers every test
/// item; each later round, every model with an in-neighbour in the <see cref="CommunicationGraph"/> updates its
/// previous response seeing its in-neighbours' previous responses under anonymous numbered labels (synchronous), and a
/// model without one keeps its responses and is not called. Output = B's last responses. Every other model's final
/// responses are scored too (progress and the log's `moco` details); round-1 responses are the baselines.
/// </summary>
public sealed class StructureMethod : ICollaborationMethod
{
    private const string ModelScoresPhase = "test · score models";

    /// <inheritdoc/>
    public string Id => "text_structure";

    /// <summary>Model t's prompt in a later round.</summary>
    public static string UpdatePrompt(string task, string previous, IEnumerable<string> neighbours) =>
        $"Task: {task}\n"
        + "Based on your previous response and the responses from other AI assistants, provide an updated response.\n"
        + $"Your previous response: {previous}\n"
        + "Responses from other AI assistants:\n"
        + CandidateList.Numbered(neighbours, "Assistant")
        + "\nPlease consider the above information carefully and provide your updated response.";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var n = config.ModelNames.Count;
        var rounds = (int)config.Hyperparameters.Int("num_rounds");
        var graph = CommunicationGraph.Build(config.Hyperparameters.String("structure_type")!, n, config.Hyperparameters["structure_matrix"], config.Compat);
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        if (test.Items.Count == 0)
        {
            throw new InvalidOperationException($"text_structure: the test split of {config.Task} is empty, so there is nothing to answer");
        }
        var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var best = selection.Best;

        var responses = await TeamGeneration.SoloPhaseAsync(context, TeamRounds.Round(1), test, 1, cancellationToken).ConfigureAwait(false);
        var solo = await SoloAnswers.BaselinesAsync(context, test, responses, cancellationToken).ConfigureAwait(false);
        for (var round = 2; round <= rounds; round++)
        {
            var phase = TeamRounds.Round(round);
            var previous = responses;
            var updated = await TeamGeneration.PhaseAsync(context, phase, [.. Enumerable.Range(0, n).Select(t =>
            {
                var neighbours = CommunicationGraph.InNeighbours(graph, t);
                return neighbours.Count == 0 ? [] : (IReadOnlyList<GenerationRequest>)
                    [.. test.Items.Select((item, k) => ChatPrompts.ForPrompt(context.Site(phase, $"model/{t}"), ChatPrompts.ItemKey(test, item), round,
                        UpdatePrompt(item.Prompt, previous[t][k].Texts[0], neighbours.Select(s => previous[s][k].Texts[0]))))];
            })], cancellationToken).ConfigureAwait(false);
            responses = [.. updated.Select((u, t) => u.Count == 0 ? previous[t] : u)];
        }

        var finals = new JsonObject();
        await context.Recorder.BeginPhaseAsync(ModelScoresPhase, "models", n - 1, cancellationToken).ConfigureAwait(false);
        var others = CandidateList.Others(n, best).ToList();
        for (var o = 0; o < others.Count; o++)
        {
            var t = others[o];
            var mean = rounds == 1 && solo[t] is { } first ? first.Mean
                : (await context.Evaluation.ScoreAsync(test, TeamGeneration.Texts(responses[t]), OutputKind.Raw, cancellationToken).ConfigureAwait(false)).Mean;
            finals[t.ToString(CultureInfo.InvariantCulture)] = mean;
            context.Recorder.Progress(ModelScoresPhase, o + 1, config.ModelNames[t]);
        }
        await context.Recorder.EndPhaseAsync(ModelScoresPhase, null, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, responses[best], cancellationToken).ConfigureAwait(false);
        finals[best.ToString(CultureInfo.InvariantCulture)] = scored.Scores.Mean;
        var summary = ReferenceSummary.Head(config);
        summary["method"] = Id;
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = selection.Details();
        details["final_test_scores"] = new JsonObject([.. finals.OrderBy(p => int.Parse(p.Key, CultureInfo.InvariantCulture))
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]);
        details["adjacency"] = new JsonArray([.. graph.Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)(v ? 1 : 0))]))]);
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details) { Baselines = SoloAnswers.Baselines(context, solo) };
    }
}
