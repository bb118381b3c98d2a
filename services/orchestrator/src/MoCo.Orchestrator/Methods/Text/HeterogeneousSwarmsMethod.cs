using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_heterogeneous_swarms (methods-text.md §4): a <see cref="NumericSwarm"/> over n×n matrices, each particle decoded
/// into a DAG of the models (<see cref="HeterogeneousSwarms"/>) and run on the first ⌊N_dev·ratio⌋ dev items; its dev
/// score is the mean score of the sink's answers. Each iteration is one phase whose checkpoint holds the swarm after its
/// update, so a resumed run goes on from the last finished iteration (and an unfinished one replays its stored calls).
/// Within an iteration every particle's graph runs as one dataflow, level by level: the ready nodes of all particles
/// and all items form one GenerateBatch per model, models concurrently. The test split is answered by the graph that
/// earned the global best score (quirk; `reference` mode decodes the best particle afresh, as the reference does).
/// </summary>
public sealed class HeterogeneousSwarmsMethod : ICollaborationMethod
{
    private const string TestPhase = "test · generate";

    /// <inheritdoc/>
    public string Id => "text_heterogeneous_swarms";

    /// <summary>The progress phase of search iteration <paramref name="iteration"/> (1-based) of <paramref name="total"/>.</summary>
    public static string SearchPhase(int iteration, int total) => $"search · iteration {iteration}/{total}";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var keys = config.Hyperparameters;
        var n = config.ModelNames.Count;
        var population = (int)keys.Int("population");
        var iterations = (int)keys.Int("max_iterations");
        var dev = await context.Data.DevAsync(keys.Number("ratio"), includeGold: false, cancellationToken).ConfigureAwait(false);
        if (dev.Items.Count == 0)
        {
            throw new InvalidOperationException($"text_heterogeneous_swarms: ratio {keys.Number("ratio").ToString(CultureInfo.InvariantCulture)} keeps no dev item of {config.Task}; raise ratio");
        }
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        if (test.Items.Count == 0)
        {
            throw new InvalidOperationException($"text_heterogeneous_swarms: the test split of {config.Task} is empty, so there is nothing to answer");
        }

        var settings = SwarmSettings.From(keys, n * n, population);
        var swarm = NumericSwarm.Start(settings, Rng(context, "start"));
        SwarmGraph? bestGraph = null;
        var history = new JsonArray();
        var stopped = false;
        for (var i = 1; i <= iterations && !stopped; i++)
        {
            var phase = SearchPhase(i, iterations);
            if (await context.Recorder.BeginPhaseAsync(phase, "calls", population * n * dev.Items.Count, cancellationToken).ConfigureAwait(false) is JsonObject done)
            {
                swarm = NumericSwarm.Load(settings, done["swarm"]!.AsObject());
                bestGraph = SwarmGraph.FromJson(done["best_graph"]!);
                stopped = (bool)done["stopped"]!;
                history.Add(Iteration(done));
                continue;
            }
            var graphs = swarm.Positions.Select((x, p) => HeterogeneousSwarms.Decode(HeterogeneousSwarms.Matrix(x), HeterogeneousSwarms.GraphTopP,
                Rng(context, "decode", i, p))).ToList();
            var answers = await RunGraphsAsync(context, dev, graphs, phase, i, cancellationToken).ConfigureAwait(false);
            var scores = (await Task.WhenAll(answers.Select(sink => context.Evaluation.ScoreAsync(dev, TeamGeneration.Texts(sink), OutputKind.Raw,
                cancellationToken))).ConfigureAwait(false)).Select(split => split.Mean).ToList();
            // The swarm takes the first particle with a new maximum as its global best: keep that particle's graph.
            if (swarm.GlobalBestScore is not { } before || scores.Max() > before)
            {
                bestGraph = graphs[scores.IndexOf(scores.Max())];
            }
            stopped = !swarm.Update(scores, Rng(context, "update", i));
            var checkpoint = new JsonObject
            {
                ["iteration"] = i,
                ["scores"] = new JsonArray([.. scores.Select(s => (JsonNode)s)]),
                ["graphs"] = new JsonArray([.. graphs.Select(g => (JsonNode)g.ToJson())]),
                ["global_best_score"] = swarm.GlobalBestScore,
                ["best_graph"] = bestGraph!.ToJson(),
                ["stopped"] = stopped,
                ["swarm"] = swarm.Save(),
            };
            history.Add(Iteration(checkpoint));
            await context.Recorder.EndPhaseAsync(phase, checkpoint, cancellationToken).ConfigureAwait(false);
        }

        var bestMatrix = HeterogeneousSwarms.Matrix(swarm.GlobalBest!);
        var graph = config.Compat == CompatMode.Reference
            ? HeterogeneousSwarms.Decode(bestMatrix, HeterogeneousSwarms.GraphTopP, Rng(context, "decode", "test"))
            : bestGraph!;
        await context.Recorder.BeginPhaseAsync(TestPhase, "calls", n * test.Items.Count, cancellationToken).ConfigureAwait(false);
        var outputs = (await RunGraphsAsync(context, test, [graph], TestPhase, 0, cancellationToken).ConfigureAwait(false))[0];
        await context.Recorder.EndPhaseAsync(TestPhase, null, cancellationToken).ConfigureAwait(false);

        var scored = await FinalAnswers.ScoreAsync(context, test, outputs, cancellationToken).ConfigureAwait(false);
        var summary = ReferenceSummary.Head(config);
        summary["model_names"] = ReferenceSummary.ModelNames(config);
        summary["hyperparameters"] = ReferenceSummary.Hyperparameters(config);
        summary["best_adjacency_matrix"] = new JsonArray([.. bestMatrix.Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)v)]))]);
        summary["avg_test_score"] = ReferenceSummary.Score(scored.Scores.Mean);
        summary["logs"] = scored.Logs;
        var details = new JsonObject
        {
            ["best_graph_edges"] = new JsonArray([.. graph.Edges.Select(e => (JsonNode)new JsonArray(e.From, e.To))]),
            ["best_topological_order"] = new JsonArray([.. graph.Order.Select(o => (JsonNode)o)]),
            ["best_dev_score"] = swarm.GlobalBestScore,
            ["dev_items"] = dev.Items.Count,
            ["iterations"] = history,
            ["early_stop"] = stopped,
        };
        return new MethodOutcome(summary, scored.Scores.Mean, test.Items.Count, details);
    }

    /// <summary>Runs every graph of <paramref name="graphs"/> (graph p = particle p) on every item of
    /// <paramref name="split"/>, level by level; returns each graph's sink answers in item order. Calls are keyed by the
    /// progress phase <paramref name="site"/> (their progress counts there), role `particle/{p}/model/{node}` and
    /// <paramref name="index"/>.</summary>
    private static async Task<IReadOnlyList<IReadOnlyList<GenerationResult>>> RunGraphsAsync(MethodContext context, TaskSplit split,
        IReadOnlyList<SwarmGraph> graphs, string site, int index, CancellationToken cancellationToken)
    {
        var n = context.Config.ModelNames.Count;
        var answers = graphs.Select(_ => new IReadOnlyList<GenerationResult>[n]).ToList();
        var levels = graphs.Select(g => g.Levels()).ToList();
        for (var level = 0; level < levels.Max(l => l.Count); level++)
        {
            var requests = Enumerable.Range(0, n).Select(_ => new List<GenerationRequest>()).ToArray();
            var owners = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
            for (var p = 0; p < graphs.Count; p++)
            {
                if (level >= levels[p].Count)
                {
                    continue;
                }
                foreach (var node in levels[p][level])
                {
                    var previous = graphs[p].Predecessors(node);
                    var nodeSite = context.Site(site, $"particle/{p}/model/{node}");
                    requests[node].AddRange(split.Items.Select((item, k) => ChatPrompts.ForPrompt(nodeSite, ChatPrompts.ItemKey(split, item), index,
                        HeterogeneousSwarms.NodePrompt(item.Prompt, [.. previous.Select(u => (u, answers[p][u][k].Texts[0]))], node == graphs[p].Sink))));
                    owners[node].Add(p);
                }
            }
            var results = await TeamGeneration.GenerateAsync(context, requests, cancellationToken).ConfigureAwait(false);
            for (var node = 0; node < n; node++)
            {
                for (var o = 0; o < owners[node].Count; o++)
                {
                    answers[owners[node][o]][node] = [.. results[node].Skip(o * split.Items.Count).Take(split.Items.Count)];
                }
            }
        }
        return [.. graphs.Select((g, p) => answers[p][g.Sink])];
    }

    private static SeededRng Rng(MethodContext context, params object[] scope) =>
        SeededRng.For(context.Seed, [context.Config.Method, .. scope.Select(s => Convert.ToString(s, CultureInfo.InvariantCulture)!)]);

    // One iteration as the log's `moco` object shows it: dev scores per particle, decoded graphs, global best score.
    private static JsonObject Iteration(JsonObject checkpoint) => new()
    {
        ["iteration"] = checkpoint["iteration"]!.DeepClone(),
        ["dev_scores"] = checkpoint["scores"]!.DeepClone(),
        ["graphs"] = checkpoint["graphs"]!.DeepClone(),
        ["global_best_score"] = checkpoint["global_best_score"]!.DeepClone(),
    };
}
