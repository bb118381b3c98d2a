using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>weight_expo's choices on scripted dev scores (methods-logit-weight.md §9 acceptance (c), (d)).</summary>
public sealed class ExpoTests
{
    private static readonly string[] Three = ["m0", "m1", "m2"];

    private static string Extrapolation(string target, string source, double alpha) =>
        ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Extrapolate, [new(target)], source) { Alpha = alpha });

    [Fact]
    public async Task Worst_to_best_extrapolates_from_the_worst_past_the_best_with_the_fixed_alpha()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["m0"] = 0.4, ["m1"] = 0.8, ["m2"] = 0.6 });

        var outcome = await new ExpoMethod().RunAsync(world.Context("weight_expo", Three), default);

        var merge = Assert.Single(world.Merges);
        Assert.Equal((MergeKind.Extrapolate, "m1", "m0", 0.3), (merge.Kind, merge.Inputs.Single().Model, merge.BaseModel, merge.Alpha));
        Assert.Equal(["m0", "m1", "m2"], world.DevEvaluations);
        Assert.Equal(Extrapolation("m1", "m0", 0.3), world.TestModel);
        Assert.Equal([(Extrapolation("m1", "m0", 0.3), "run-1/weight_expo/model_collaboration/logs/expo_agieval_tiny/final_model")], world.Persisted);
        Assert.Equal(["task", "task_type", "method", "mode", "model_names", "model_scores", "source_model", "target_model", "hyperparameters", "alpha",
            "alpha_mode", "avg_test_score", "logs"], outcome.Summary.Select(p => p.Key));
        Assert.Equal(("m0", "m1", 0.3), ((string)outcome.Summary["source_model"]!, (string)outcome.Summary["target_model"]!, (double)outcome.Summary["alpha"]!));
        Assert.Equal(0.8, (double)outcome.Summary["model_scores"]!["m1"]!);
    }

    [Fact]
    public async Task Optimized_alpha_keeps_the_first_strictly_best_candidate()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>
        {
            ["m0"] = 0.4, ["m1"] = 0.8, ["m2"] = 0.6,
            [Extrapolation("m1", "m0", 0.1)] = 0.5, [Extrapolation("m1", "m0", 0.2)] = 0.7, [Extrapolation("m1", "m0", 0.3)] = 0.7,
        });

        var outcome = await new ExpoMethod().RunAsync(world.Context("weight_expo", Three,
            "\"alpha_mode\": \"optimized\", \"alpha_candidates\": [0.1, 0.2, 0.3]"), default);

        Assert.Equal(3, world.Merges.Count);
        Assert.Equal(0.2, (double)outcome.Summary["alpha"]!);
        Assert.Equal(Extrapolation("m1", "m0", 0.2), world.TestModel);
        Assert.Equal(6, world.DevEvaluations.Count);
    }

    [Fact]
    public async Task Topk_bottomk_with_k_above_half_the_models_acts_as_worst_to_best()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["m0"] = 0.4, ["m1"] = 0.8, ["m2"] = 0.6 });

        await new ExpoMethod().RunAsync(world.Context("weight_expo", Three, "\"mode\": \"topk_bottomk\", \"k\": 2"), default);

        Assert.Equal(Extrapolation("m1", "m0", 0.3), ScriptedWeightContext.MergeId(Assert.Single(world.Merges)));
    }

    [Fact]
    public async Task Topk_bottomk_extrapolates_between_the_soups_of_the_top_and_bottom_k()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["m0"] = 0.4, ["m1"] = 0.8, ["m2"] = 0.6, ["m3"] = 0.1 });

        var outcome = await new ExpoMethod().RunAsync(world.Context("weight_expo", ["m0", "m1", "m2", "m3"], "\"mode\": \"topk_bottomk\", \"k\": 2"), default);

        var top = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m1", 0.5), new("m2", 0.5)]));
        var bottom = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m0", 0.5), new("m3", 0.5)]));
        Assert.Equal([top, bottom, Extrapolation(top, bottom, 0.3)], world.Merges.Select(ScriptedWeightContext.MergeId));
        Assert.Equal("model_collaboration/logs/expo_agieval_tiny/merged_topk", (string)outcome.Summary["target_model"]!);
    }

    [Theory]
    [InlineData("dpo_score", "s1", "d1")]
    [InlineData("improvement", "s1", "d1")]
    [InlineData("sft_score", "s0", "d0")]
    public async Task Pairs_mode_picks_the_consecutive_pair_by_its_selection_score(string selection, string source, string target)
    {
        // Pair 0 (s0 → d0): sft 0.9, dpo 0.5, improvement −0.4; pair 1 (s1 → d1): sft 0.1, dpo 0.6, improvement 0.5.
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["s0"] = 0.9, ["d0"] = 0.5, ["s1"] = 0.1, ["d1"] = 0.6 });

        var outcome = await new ExpoMethod().RunAsync(world.Context("weight_expo", ["s0", "d0", "s1", "d1"],
            $"\"mode\": \"pairs\", \"pair_selection\": \"{selection}\""), default);

        Assert.Equal(["d0", "d1", "s0", "s1"], world.DevEvaluations.Order(StringComparer.Ordinal));
        Assert.Equal(Extrapolation(target, source, 0.3), ScriptedWeightContext.MergeId(Assert.Single(world.Merges)));
        Assert.Equal((source, target), ((string)outcome.Summary["source_model"]!, (string)outcome.Summary["target_model"]!));
        Assert.Equal(["task", "task_type", "method", "mode", "model_names", "source_model", "target_model", "hyperparameters", "alpha", "avg_test_score",
            "logs"], outcome.Summary.Select(p => p.Key));
    }

    [Fact]
    public async Task Pairs_mode_takes_the_first_of_equally_scored_pairs()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["s0"] = 0.2, ["d0"] = 0.7, ["s1"] = 0.3, ["d1"] = 0.7 });

        await new ExpoMethod().RunAsync(world.Context("weight_expo", ["s0", "d0", "s1", "d1"], "\"mode\": \"pairs\""), default);

        Assert.Equal(Extrapolation("d0", "s0", 0.3), ScriptedWeightContext.MergeId(Assert.Single(world.Merges)));
    }

    [Fact]
    public async Task One_explicit_pair_extrapolates_from_its_sft_past_its_dpo_model_without_dev_work()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>());

        await new ExpoMethod().RunAsync(world.Context("weight_expo", ["m0"],
            "\"mode\": \"pairs\", \"sft_models\": [\"sft\"], \"dpo_models\": [\"dpo\"], \"alpha\": 0.5"), default);

        Assert.Empty(world.DevEvaluations);
        Assert.Equal(Extrapolation("dpo", "sft", 0.5), ScriptedWeightContext.MergeId(Assert.Single(world.Merges)));
        Assert.Equal(Extrapolation("dpo", "sft", 0.5), world.TestModel);
    }

    [Fact]
    public async Task Pairs_mode_with_optimized_alpha_dev_scores_each_candidate_of_the_chosen_pair()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double>
        {
            [Extrapolation("dpo", "sft", 0.1)] = 0.3, [Extrapolation("dpo", "sft", 0.4)] = 0.6,
        });

        var outcome = await new ExpoMethod().RunAsync(world.Context("weight_expo", ["m0"],
            "\"mode\": \"pairs\", \"sft_models\": [\"sft\"], \"dpo_models\": [\"dpo\"], \"alpha_mode\": \"optimized\", \"alpha_candidates\": [0.1, 0.4]"), default);

        Assert.Equal(0.4, (double)outcome.Summary["alpha"]!);
        Assert.Equal(Extrapolation("dpo", "sft", 0.4), world.TestModel);
    }
}
