using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>weight_greedy_soup's rule on scripted dev scores (methods-logit-weight.md §5 acceptance (b), (c)).</summary>
public sealed class GreedySoupTests
{
    private static readonly string[] Three = ["m0", "m1", "m2"];

    [Fact]
    public async Task Keeps_the_soup_that_does_not_lower_the_dev_score_in_rank_order()
    {
        var soup12 = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m1", 0.5), new("m2", 0.5)]));
        var third = 1.0 / 3;
        var soup120 = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m1", third), new("m2", third), new("m0", third)]));
        var world = new ScriptedWeightContext(new Dictionary<string, double>
        {
            ["m0"] = 0.5, ["m1"] = 0.7, ["m2"] = 0.6, [soup12] = 0.7, [soup120] = 0.69,
        });

        var outcome = await new GreedySoupMethod().RunAsync(world.Context("weight_greedy_soup", Three), default);

        Assert.Equal(2, world.Merges.Count);
        Assert.All(world.Merges, m => Assert.True(m.Kind == MergeKind.Linear && m.Normalize == true));
        Assert.Equal(["m0", "m1", "m2", soup12, soup120], world.DevEvaluations);
        Assert.Equal(["m1", "m2"], outcome.Summary["selected_models"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(soup12, world.TestModel);
        Assert.Equal([(soup12, "run-1/weight_greedy_soup/model_collaboration/logs/greedy_soup")], world.Persisted);
        Assert.Equal(["task", "task_type", "model_names", "selected_models", "hyperparameters", "avg_test_score", "logs"],
            outcome.Summary.Select(p => p.Key));
        Assert.Equal(0.25, outcome.TestScore);
    }

    [Fact]
    public async Task A_tie_with_the_best_score_joins_the_soup()
    {
        var soup10 = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m1", 0.5), new("m0", 0.5)]));
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["m0"] = 0.4, ["m1"] = 0.6, [soup10] = 0.6 });

        var outcome = await new GreedySoupMethod().RunAsync(world.Context("weight_greedy_soup", ["m0", "m1"]), default);

        Assert.Equal(["m1", "m0"], outcome.Summary["selected_models"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(soup10, world.TestModel);
    }

    [Fact]
    public async Task A_soup_that_only_loses_is_the_best_model_itself_and_nothing_is_written()
    {
        var soup21 = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m2", 0.5), new("m1", 0.5)]));
        // m1 was dropped, so m0 is tried with m2 alone.
        var soup20 = ScriptedWeightContext.MergeId(new MergeCall(MergeKind.Linear, [new("m2", 0.5), new("m0", 0.5)]));
        var world = new ScriptedWeightContext(new Dictionary<string, double>
        {
            ["m0"] = 0.2, ["m1"] = 0.5, ["m2"] = 0.9, [soup21] = 0.8, [soup20] = 0.85,
        });

        var outcome = await new GreedySoupMethod().RunAsync(world.Context("weight_greedy_soup", Three), default);

        Assert.Equal(["m2"], outcome.Summary["selected_models"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("m2", world.TestModel);
        Assert.Empty(world.Persisted);
    }

    [Fact]
    public async Task One_model_is_used_as_it_is_without_a_merge()
    {
        var world = new ScriptedWeightContext(new Dictionary<string, double> { ["m0"] = 0.3 });

        var outcome = await new GreedySoupMethod().RunAsync(world.Context("weight_greedy_soup", ["m0"]), default);

        Assert.Empty(world.Merges);
        Assert.Equal("m0", world.TestModel);
        Assert.Equal(["m0"], outcome.Summary["selected_models"]!.AsArray().Select(n => (string)n!));
    }
}
