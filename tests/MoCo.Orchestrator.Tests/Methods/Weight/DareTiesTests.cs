using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>weight_dare_ties's two modes on a scripted world (methods-logit-weight.md §6).</summary>
public sealed class DareTiesTests
{
    private static readonly string[] FineTunes = ["ft0", "ft1", "ft2"];

    [Fact]
    public async Task Average_mode_merges_once_with_uniform_weights_and_evaluates_nothing_on_dev()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>());

        var outcome = await new DareTiesMethod().RunAsync(world.Context("weight_dare_ties", FineTunes, "\"base_model_name\": \"base\""), default);

        var merge = Assert.Single(world.Merges);
        Assert.Equal(MergeKind.DareTies, merge.Kind);
        Assert.Equal("base", merge.BaseModel);
        Assert.Equal(FineTunes, merge.Inputs.Select(i => i.Model));
        Assert.All(merge.Inputs, i => Assert.Equal((1.0 / 3, 1.0), (i.Weight, i.Density)));
        Assert.Equal((false, 1.0, "l1", false), (merge.Normalize, merge.Lambda, merge.Rescale, merge.WeightsSoftmax));
        Assert.Empty(world.DevEvaluations);
        Assert.Equal(ScriptedWeightContext.MergeId(merge), world.TestModel);
        Assert.Equal([(ScriptedWeightContext.MergeId(merge), "run-1/weight_dare_ties/model_collaboration/logs/dare_ties_agieval_tiny/final_model")],
            world.Persisted);
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "best_weights", "avg_test_score", "logs"], outcome.Summary.Select(p => p.Key));
        Assert.Equal([1.0 / 3, 1.0 / 3, 1.0 / 3], outcome.Summary["best_weights"]!.AsArray().Select(w => (double)w!));
    }

    [Fact]
    public async Task Per_model_densities_and_the_merge_keys_reach_the_merge()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>());

        await new DareTiesMethod().RunAsync(world.Context("weight_dare_ties", FineTunes,
            "\"base_model_name\": \"base\", \"density\": [0.3, 0.5, 0.7], \"lambda\": 2, \"normalize\": true, \"rescale\": \"none\""), default);

        var merge = Assert.Single(world.Merges);
        Assert.Equal([0.3, 0.5, 0.7], merge.Inputs.Select(i => i.Density!.Value));
        Assert.Equal((true, 2.0, "none"), (merge.Normalize, merge.Lambda, merge.Rescale));
    }

    [Fact]
    public async Task Optimized_mode_merges_with_the_softmax_of_the_best_scored_particle()
    {
        // A particle's dev score is its first coordinate, so the best one is known from the merges alone.
        var world = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = call => call.Inputs[0].Weight!.Value };

        var outcome = await new DareTiesMethod().RunAsync(world.Context("weight_dare_ties", FineTunes,
            "\"base_model_name\": \"base\", \"mode\": \"optimized\", \"population\": 2, \"max_iterations\": 3"), default);

        // No stop signal: it needs more than `patience` (5) updates.
        Assert.Equal(7, world.Merges.Count);
        Assert.Equal(6, world.DevEvaluations.Count);
        var particles = world.Merges.Take(6).ToList();
        Assert.All(particles, m => Assert.True(m.WeightsSoftmax));
        var best = particles.MaxBy(m => m.Inputs[0].Weight!.Value)!;
        var expected = DareTiesMethod.Softmax([.. best.Inputs.Select(i => i.Weight!.Value)]);
        Assert.Equal(expected, outcome.Summary["best_weights"]!.AsArray().Select(w => (double)w!));
        var final = world.Merges[6];
        Assert.False(final.WeightsSoftmax);
        Assert.Equal(expected, final.Inputs.Select(i => i.Weight!.Value));
        Assert.Equal(1.0, expected.Sum(), 12);
    }

    [Fact]
    public async Task The_same_seed_searches_the_same_particles()
    {
        var first = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = call => call.Inputs[1].Weight!.Value };
        var second = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = call => call.Inputs[1].Weight!.Value };
        const string Keys = "\"base_model_name\": \"base\", \"mode\": \"optimized\", \"population\": 3, \"max_iterations\": 2";

        await new DareTiesMethod().RunAsync(first.Context("weight_dare_ties", FineTunes, Keys), default);
        await new DareTiesMethod().RunAsync(second.Context("weight_dare_ties", FineTunes, Keys), default);

        Assert.Equal(first.Merges.Select(ScriptedWeightContext.MergeId), second.Merges.Select(ScriptedWeightContext.MergeId));
    }

    [Fact]
    public async Task A_resumed_search_continues_from_the_last_finished_iteration()
    {
        const string Keys = "\"base_model_name\": \"base\", \"mode\": \"optimized\", \"population\": 2, \"max_iterations\": 3";
        var clean = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = call => call.Inputs[2].Weight!.Value };
        var expected = await new DareTiesMethod().RunAsync(clean.Context("weight_dare_ties", FineTunes, Keys), default);

        // A run stopped after iteration 2: its first two iterations (and their dev evaluations) are checkpoints.
        var stored = clean.Checkpoints.Where(p => p.Key.Contains("iteration 1", StringComparison.Ordinal) || p.Key.Contains("iteration 2", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var resumed = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = clean.MergeScore, Checkpoints = stored };
        var outcome = await new DareTiesMethod().RunAsync(resumed.Context("weight_dare_ties", FineTunes, Keys), default);

        Assert.Equal(3, resumed.Merges.Count);
        Assert.Equal(2, resumed.DevEvaluations.Count);
        Assert.Equal(clean.Merges.Skip(4).Select(ScriptedWeightContext.MergeId), resumed.Merges.Select(ScriptedWeightContext.MergeId));
        Assert.Equal(expected.Summary["best_weights"]!.ToJsonString(), outcome.Summary["best_weights"]!.ToJsonString());
    }

    [Fact]
    public async Task An_absolute_base_path_is_refused_naming_the_key()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => new DareTiesMethod().RunAsync(
            world.Context("weight_dare_ties", FineTunes, "\"base_model_name\": \"base\", \"dare_ties_base_path\": \"/tmp/x/\""), default));

        Assert.Contains("hyperparameters.dare_ties_base_path", error.Message);
        Assert.Empty(world.Merges);
    }
}
