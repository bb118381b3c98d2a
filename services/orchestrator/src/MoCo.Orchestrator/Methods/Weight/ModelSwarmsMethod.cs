using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>
/// weight_model_swarms (methods-logit-weight.md §7, Model Swarms): the models are particles in weight space. Each
/// iteration dev-scores every particle (concurrently, so particles on different inference replicas evaluate at once),
/// updates the H2 books and, unless the search stalls, moves every particle with one fused M11 step toward its personal
/// best and the global best and away from the global worst. The global best is saved as `global_best` in the task
/// folder of `swarm_base_path` with `utility_scratchpad.json` beside it in the run's artifact folder, and answers the
/// test split. `fast_merge_flag` steps LoRA adapters as adapter tensors; otherwise the step runs on full weights (an
/// adapter is merged into its base first). Unlike the reference — whose slow mode normalises the velocity merges into
/// infinities — M11 is exact in both modes, particles are resident ids, draws are seeded per (iteration, particle) and
/// the last iteration's moves, which nothing evaluates, are skipped. Each iteration's scores are its checkpoint: a
/// resumed run replays the seeded moves (the merges are keyed, so the service returns the models it already made) and
/// evaluates from the first unfinished iteration on. A model no particle, best or worst holds any more is released at
/// once, and everything the swarm made once the global best is saved and has answered the test.
/// </summary>
public sealed class ModelSwarmsMethod : ICollaborationMethod
{
    /// <summary>The scratchpad's file name in the task folder.</summary>
    public const string ScratchpadFile = "utility_scratchpad.json";

    /// <inheritdoc/>
    public string Id => "weight_model_swarms";

    /// <summary>The phase of iteration <paramref name="iteration"/> (1-based); its checkpoint holds the particles' dev
    /// scores.</summary>
    public static string IterationPhase(int iteration) => $"swarm · iteration {iteration}";

    /// <summary>The dev evaluation label of a particle in an iteration.</summary>
    public static string EvaluationLabel(int iteration, int particle) => $"iteration {iteration} particle {particle}";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var merges = FinalModel.Merges(context);
        var config = context.Config;
        var keys = config.Hyperparameters;
        var folder = WeightArtifacts.TaskFolder(context, "swarm_base_path");
        var fast = keys.Bool("fast_merge_flag");
        var iterations = (int)keys.Int("max_iterations");

        var swarm = await StartAsync(context, merges, fast, cancellationToken).ConfigureAwait(false);
        var made = new HashSet<string>(swarm.Velocities, StringComparer.Ordinal);
        var scratchpads = new JsonArray();
        var stopped = false;
        for (var t = 1; t <= iterations && !stopped; t++)
        {
            var scores = await ScoreParticlesAsync(context, swarm, t, cancellationToken).ConfigureAwait(false);
            stopped = !swarm.Record(scores);
            var pad = swarm.Scratchpad();
            scratchpads.Add(pad.DeepClone());
            WriteScratchpad(context, folder, pad);
            if (stopped)
            {
                context.Recorder.Warn($"model swarms: the global best did not improve for {keys.Int("patience")} iterations; stopped after iteration {t}");
            }
            else if (t < iterations)
            {
                made.UnionWith(await MoveAsync(context, merges, swarm, t, fast, cancellationToken).ConfigureAwait(false));
                await ReleaseDroppedAsync(merges, swarm, made, cancellationToken).ConfigureAwait(false);
            }
        }

        var best = swarm.GlobalBest!;
        var artifact = context.ArtifactName($"{folder}/global_best");
        await merges.PersistAsync(best, artifact, cancellationToken).ConfigureAwait(false);
        var (test, scored) = await FinalModel.AnswerTestAsync(context, best, cancellationToken).ConfigureAwait(false);
        // The global best is saved; nothing the swarm made needs to stay resident.
        foreach (var model in made)
        {
            await merges.ReleaseAsync(model, cancellationToken).ConfigureAwait(false);
        }

        var details = new JsonObject
        {
            ["scratchpads"] = scratchpads,
            ["global_best"] = best,
            ["global_best_score"] = swarm.GlobalBestScore,
            ["stopped_early"] = stopped,
            ["artifact"] = artifact,
        };
        return new MethodOutcome(ReferenceSummary.Standard(config, ReferenceSummary.Score(scored.Scores.Mean), scored.Logs), scored.Scores.Mean,
            test.Items.Count, details);
    }

    // Positions = the configured models; v_i = x_j − x_i for a partner j ≠ i (M1 unnormalised, weights −1 and 1).
    private static async Task<ModelSwarm> StartAsync(MethodContext context, IMergeService merges, bool fast, CancellationToken cancellationToken)
    {
        var names = context.Config.ModelNames;
        var partners = ModelSwarm.VelocityPartners(names.Count, SeededRng.For(context.Seed, context.Config.Method, "swarm", "start"));
        var velocities = await Task.WhenAll(names.Select((name, i) => merges.MergeAsync(context.Site("swarm · start", $"particle/{i}"), 0,
            Linear(fast, [new MergeInput(name, -1.0), new MergeInput(names[partners[i]], 1.0)]), cancellationToken))).ConfigureAwait(false);
        return ModelSwarm.Start(ModelSwarmSettings.From(context.Config.Hyperparameters), names, [.. velocities.Select(v => v.Id)]);
    }

    // Every particle's dev mean, all particles at once; a finished iteration's scores come from its checkpoint (and a
    // finished evaluation's from its own), so a resumed run evaluates nothing twice.
    private static async Task<IReadOnlyList<double>> ScoreParticlesAsync(MethodContext context, ModelSwarm swarm, int iteration, CancellationToken cancellationToken)
    {
        var phase = IterationPhase(iteration);
        var particles = swarm.Positions.Count;
        if (await context.Recorder.BeginPhaseAsync(phase, "particles", particles, cancellationToken).ConfigureAwait(false) is JsonArray stored)
        {
            return [.. stored.Select(s => (double)s!)];
        }
        var done = 0;
        var scores = await Task.WhenAll(swarm.Positions.Select(async (model, i) =>
        {
            var score = await BestOnDev.ScoreModelAsync(context, model, EvaluationLabel(iteration, i), cancellationToken).ConfigureAwait(false);
            context.Recorder.Progress(phase, Interlocked.Increment(ref done));
            return score;
        })).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(phase, new JsonArray([.. scores.Select(s => (JsonNode)JsonValue.Create(s))]), cancellationToken).ConfigureAwait(false);
        return scores;
    }

    // Frees every model the swarm made that no particle, personal best, global best or worst holds any more.
    private static async Task ReleaseDroppedAsync(IMergeService merges, ModelSwarm swarm, HashSet<string> made, CancellationToken cancellationToken)
    {
        var held = new HashSet<string>([.. swarm.Positions, .. swarm.Velocities, .. swarm.PersonalBests, swarm.GlobalBest!, swarm.GlobalWorst!],
            StringComparer.Ordinal);
        foreach (var model in made.Where(m => !held.Contains(m)).ToList())
        {
            await merges.ReleaseAsync(model, cancellationToken).ConfigureAwait(false);
            made.Remove(model);
        }
    }

    // One update's restarts and moves (global best and worst are fixed for the whole update, so particles step at
    // once); returns the models it made.
    private static async Task<IReadOnlyList<string>> MoveAsync(MethodContext context, IMergeService merges, ModelSwarm swarm, int iteration, bool fast, CancellationToken cancellationToken)
    {
        var moves = swarm.PlanMoves(i => SeededRng.For(context.Seed, context.Config.Method, "swarm", "move",
            iteration.ToString(CultureInfo.InvariantCulture), i.ToString(CultureInfo.InvariantCulture)));
        var (best, worst, step) = (swarm.GlobalBest!, swarm.GlobalWorst!, swarm.Step);
        var made = new List<string>();
        var results = await Task.WhenAll(moves.Select(async move =>
        {
            var i = move.Particle;
            var velocity = swarm.Velocities[i];
            if (move.Restart)
            {
                velocity = (await merges.MergeAsync(context.Site("swarm · restart", $"particle/{i}"), iteration,
                    Linear(fast, [new MergeInput(swarm.Positions[i], 0.0)]), cancellationToken).ConfigureAwait(false)).Id;
                lock (made)
                {
                    made.Add(velocity);
                }
            }
            var call = new PsoStepCall(swarm.Positions[i], velocity, swarm.PersonalBests[i], best, worst, move.A, move.B, move.C, move.D, step, fast);
            return await merges.PsoStepAsync(context.Site("swarm · move", $"particle/{i}"), iteration, call, cancellationToken).ConfigureAwait(false);
        })).ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            swarm.Moved(i, results[i].Position.Id, results[i].Velocity.Id);
            made.Add(results[i].Position.Id);
            made.Add(results[i].Velocity.Id);
        }
        swarm.DecayStep();
        return made;
    }

    // M1 without normalisation: on adapter tensors in fast mode (M10, A and B separately), on full weights otherwise.
    private static MergeCall Linear(bool fast, IReadOnlyList<MergeInput> inputs) =>
        fast ? new MergeCall(MergeKind.LoraLinear, inputs) : new MergeCall(MergeKind.Linear, inputs) { Normalize = false };

    private static void WriteScratchpad(MethodContext context, string folder, JsonObject pad)
    {
        var path = Path.Combine(context.ArtifactDirectory, folder, ScratchpadFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, pad.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
