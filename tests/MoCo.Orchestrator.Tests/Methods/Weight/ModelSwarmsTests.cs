using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>weight_model_swarms on a scripted world and its H2 controller (methods-logit-weight.md §7, §1.3 H2).</summary>
public sealed class ModelSwarmsTests
{
    private static readonly string[] Three = ["m0", "m1", "m2"];

    private static readonly ModelSwarmSettings Defaults = new(true, 0.2, 0.3, 0.4, 0.05, true, 0.5, 0.95, 0.1, 5, 3);

    // A score in [0, 1) fixed by the model id, different for every id: a swarm with no structure to exploit.
    private static double Noise(string model) =>
        (System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(model))[0] + 0.5) / 256.0;

    private static ScriptedWeightContext World(Func<string, double>? score = null) =>
        new(new Dictionary<string, double>()) { ModelScore = score ?? Noise };

    [Fact]
    public void Patience_two_stops_at_the_third_update_when_g_stays_flat()
    {
        var swarm = ModelSwarm.Start(Defaults with { Patience = 2 }, ["a", "b"], ["va", "vb"]);

        Assert.True(swarm.Record([0.5, 0.1]));
        Assert.True(swarm.Record([0.5, 0.2]));
        Assert.False(swarm.Record([0.4, 0.3]));
        Assert.Equal([0.5, 0.5, 0.5], swarm.GlobalHistory);
    }

    [Fact]
    public void A_stalled_particle_restarts_from_its_personal_best_then_cools_down_for_three_updates()
    {
        var swarm = ModelSwarm.Start(Defaults with { RestartPatience = 2, Patience = 50 }, ["a", "b"], ["va", "vb"]);
        SeededRng Rng(int i) => SeededRng.For(1, "test", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var restarts = new List<bool>();
        // Particle 0 never improves after its first score; particle 1 improves every time.
        for (var t = 0; t < 7; t++)
        {
            swarm.Record([t == 0 ? 0.9 : 0.1, 0.1 * t]);
            var moves = swarm.PlanMoves(Rng);
            restarts.Add(moves[0].Restart);
            Assert.False(moves[1].Restart);
            if (moves[0].Restart)
            {
                // Restarted from p = the position it held when it scored 0.9, and still moved.
                Assert.Equal("a", swarm.Positions[0]);
                Assert.Equal(1.0, moves[0].A + moves[0].B + moves[0].C + moves[0].D, 12);
            }
            swarm.Moved(0, $"a{t}", $"va{t}");
            swarm.Moved(1, $"b{t}", $"vb{t}");
        }

        // Update 3 has three scores and the last is not above the one before; then the counter (3) blocks updates 4–6.
        Assert.Equal([false, false, true, false, false, false, true], restarts);
    }

    [Fact]
    public void Without_randomness_inertia_one_and_no_other_coefficients_the_step_is_pure_inertia()
    {
        var swarm = ModelSwarm.Start(Defaults with { WeightRandomness = false, Inertia = 1, Cognitive = 0, Social = 0, Repel = 0 }, ["a", "b"], ["va", "vb"]);

        swarm.Record([0.2, 0.3]);
        var moves = swarm.PlanMoves(_ => throw new InvalidOperationException("no draw without weight randomness"));

        Assert.All(moves, m => Assert.Equal((1.0, 0.0, 0.0, 0.0), (m.A, m.B, m.C, m.D)));
    }

    [Fact]
    public async Task Velocities_start_as_the_difference_to_another_particle_and_every_particle_is_dev_scored_each_iteration()
    {
        using var world = World();

        await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 2"), default);

        var starts = world.Merges.Take(3).ToList();
        for (var i = 0; i < 3; i++)
        {
            var start = starts[i];
            Assert.Equal((MergeKind.Linear, false), (start.Kind, start.Normalize));
            Assert.Equal([Three[i], start.Inputs[1].Model], start.Inputs.Select(x => x.Model));
            Assert.NotEqual(Three[i], start.Inputs[1].Model);
            Assert.Equal([-1.0, 1.0], start.Inputs.Select(x => x.Weight!.Value));
        }
        // Iteration 1 scores the models, moves them; iteration 2 scores the moves and, being the last, moves nothing.
        Assert.Equal(["m0", "m1", "m2", "x0", "x1", "x2"], world.DevEvaluations);
        Assert.Equal(3, world.Steps.Count);
        Assert.All(world.Steps, s => Assert.Equal((0.5, false), (s.Step, s.Adapters)));
        Assert.Equal(Three, world.Steps.Select(s => s.X));
    }

    [Fact]
    public async Task Fast_mode_composes_adapter_tensors_and_steps_adapters()
    {
        using var world = World();

        await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 2, \"fast_merge_flag\": true"), default);

        Assert.All(world.Merges, m => Assert.Equal(MergeKind.LoraLinear, m.Kind));
        Assert.All(world.Steps, s => Assert.True(s.Adapters));
    }

    [Fact]
    public async Task The_global_best_never_gets_worse_and_is_the_model_that_answers_the_test()
    {
        using var world = World();

        var outcome = await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 6, \"patience\": 10"), default);

        var pads = outcome.MocoDetails["scratchpads"]!.AsArray();
        Assert.Equal(6, pads.Count);
        var g = pads.Select(p => (double)p!["g"]!).ToList();
        for (var t = 1; t < g.Count; t++)
        {
            Assert.True(g[t] >= g[t - 1], $"g fell from {g[t - 1]} to {g[t]} at iteration {t + 1}");
        }
        var best = world.DevEvaluations.MaxBy(Noise)!;
        Assert.Equal(Noise(best), g[^1]);
        Assert.Equal(best, world.TestModel);
        Assert.Equal([(best, "run-1/weight_model_swarms/model_collaboration/logs/model_swarms_agieval_tiny/global_best")], world.Persisted);
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs"], outcome.Summary.Select(p => p.Key));
    }

    [Fact]
    public async Task A_flat_global_best_stops_the_search_after_patience_updates()
    {
        using var world = World(_ => 0.5);

        var outcome = await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 10, \"patience\": 2"), default);

        Assert.Equal(9, world.DevEvaluations.Count);
        Assert.Equal(6, world.Steps.Count);
        Assert.True((bool)outcome.MocoDetails["stopped_early"]!);
        // Every score ties, so the first particle of the first update stays the global best.
        Assert.Equal("m0", world.TestModel);
    }

    [Fact]
    public async Task The_scratchpad_of_the_last_update_is_written_in_the_task_folder()
    {
        using var world = World();

        await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 2"), default);

        var path = Path.Combine(world.ArtifactsRoot, "run-1", "weight_model_swarms", "model_collaboration", "logs", "model_swarms_agieval_tiny",
            ModelSwarmsMethod.ScratchpadFile);
        var pad = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(["g", "g_worst", "g_history", "model_0_now", "model_0_best", "model_0_history", "model_1_now", "model_1_best", "model_1_history",
            "model_2_now", "model_2_best", "model_2_history"], pad.Select(p => p.Key));
        Assert.Equal(2, pad["g_history"]!.AsArray().Count);
        Assert.Equal(Noise("x0"), (double)pad["model_0_now"]!);
    }

    [Fact]
    public async Task A_resumed_swarm_continues_from_its_last_finished_iteration()
    {
        const string Keys = "\"max_iterations\": 4, \"patience\": 10";
        using var clean = World();
        var expected = await new ModelSwarmsMethod().RunAsync(clean.Context("weight_model_swarms", Three, Keys), default);

        // A run stopped during iteration 3: iterations 1 and 2 are checkpoints.
        var stored = clean.Checkpoints.Where(p => p.Key == ModelSwarmsMethod.IterationPhase(1) || p.Key == ModelSwarmsMethod.IterationPhase(2))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        using var resumed = new ScriptedWeightContext(new Dictionary<string, double>()) { ModelScore = Noise, Checkpoints = stored };
        var outcome = await new ModelSwarmsMethod().RunAsync(resumed.Context("weight_model_swarms", Three, Keys), default);

        // Only iterations 3 and 4 are evaluated; the replayed moves name the same models.
        Assert.Equal(clean.DevEvaluations.Skip(6), resumed.DevEvaluations);
        Assert.Equal(clean.Steps, resumed.Steps);
        Assert.Equal(clean.TestModel, resumed.TestModel);
        Assert.Equal(expected.MocoDetails["scratchpads"]!.ToJsonString(), outcome.MocoDetails["scratchpads"]!.ToJsonString());
    }

    [Fact]
    public async Task Every_model_the_swarm_made_is_released_exactly_once_and_no_configured_model_is()
    {
        using var world = World();

        await new ModelSwarmsMethod().RunAsync(world.Context("weight_model_swarms", Three, "\"max_iterations\": 4, \"patience\": 10"), default);

        var made = world.Merges.Select(ScriptedWeightContext.MergeId).Concat(world.Steps.SelectMany((_, k) => new[] { $"x{k}", $"v{k}" })).ToList();
        Assert.Equal(made.Order(StringComparer.Ordinal), world.Released.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(world.Released, Three.Contains);
        Assert.Contains(world.TestModel!, world.Released);
    }
}
