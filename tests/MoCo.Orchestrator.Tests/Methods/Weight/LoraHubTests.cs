using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Weight;

namespace MoCo.Orchestrator.Tests.Methods.Weight;

/// <summary>weight_lorahub on a scripted world (methods-logit-weight.md §8, H3).</summary>
public sealed class LoraHubTests
{
    private static readonly string[] Adapters = ["a", "b"];

    private static string Composition(double a, double b) =>
        ScriptedWeightContext.MergeId(new MergeCall(MergeKind.LoraLinear, [new("a", a), new("b", b)]));

    // A composition's dev mean is its weight on adapter a.
    private static ScriptedWeightContext World() => new(new Dictionary<string, double>()) { MergeScore = call => call.Inputs[0].Weight!.Value };

    [Fact]
    public async Task The_composition_of_lowest_loss_among_the_budget_answers_the_test_greedily()
    {
        var world = World();

        var outcome = await new LoraHubMethod().RunAsync(world.Context("weight_lorahub", Adapters,
            "\"max_inference_step\": 3, \"lorahub_dev_samples\": 1, \"temperature\": 0.9"), default);

        // Points 0, (0.5, 0), (0, 0.5); losses 1, 1 − 0.5 + 0.05·0.5/2 = 0.5125, 1.0125.
        Assert.Equal([Composition(0, 0), Composition(0.5, 0), Composition(0, 0.5)], world.Merges.Select(ScriptedWeightContext.MergeId));
        Assert.All(world.Merges, m => Assert.Equal(MergeKind.LoraLinear, m.Kind));
        Assert.Equal([1, 1, 1], world.DevSplitSizes);
        Assert.Equal(Composition(0.5, 0), world.TestModel);
        Assert.All(world.Settings, s => Assert.Equal(0.0, s!.Temperature));
        Assert.Equal([0.5, 0.0], outcome.Summary["learned_weights"]!.AsArray().Select(w => (double)w!));
        Assert.Equal(0.5125, (double)outcome.MocoDetails["evaluations"]![1]!["loss"]!, 12);
        Assert.Equal(["task", "task_type", "model_names", "learned_weights", "hyperparameters", "avg_test_score", "logs"], outcome.Summary.Select(p => p.Key));
        Assert.Empty(world.Persisted);
        // Each composition is released once it is no longer the best, the best once it has answered the test.
        Assert.Equal([Composition(0, 0), Composition(0, 0.5), Composition(0.5, 0)], world.Released);
    }

    [Fact]
    public async Task The_weight_penalty_can_keep_the_bare_base()
    {
        var world = World();

        var outcome = await new LoraHubMethod().RunAsync(world.Context("weight_lorahub", Adapters, "\"max_inference_step\": 3, \"regular_coef\": 5"), default);

        // (0.5, 0) gains 0.5 in score but costs 5·0.5/2 = 1.25 in penalty.
        Assert.Equal([0.0, 0.0], outcome.Summary["learned_weights"]!.AsArray().Select(w => (double)w!));
        Assert.Equal(Composition(0, 0), world.TestModel);
    }

    [Fact]
    public async Task A_resumed_search_replays_finished_evaluations_from_their_checkpoints()
    {
        const string Keys = "\"max_inference_step\": 6";
        var clean = World();
        var expected = await new LoraHubMethod().RunAsync(clean.Context("weight_lorahub", Adapters, Keys), default);

        var stored = clean.Checkpoints.Where(p => p.Key is "dev · evaluation 0" or "dev · evaluation 1" or "dev · evaluation 2")
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var resumed = new ScriptedWeightContext(new Dictionary<string, double>()) { MergeScore = clean.MergeScore, Checkpoints = stored };
        var outcome = await new LoraHubMethod().RunAsync(resumed.Context("weight_lorahub", Adapters, Keys), default);

        Assert.Equal(clean.DevEvaluations.Skip(3), resumed.DevEvaluations);
        Assert.Equal(clean.Merges.Select(ScriptedWeightContext.MergeId), resumed.Merges.Select(ScriptedWeightContext.MergeId));
        Assert.Equal(expected.Summary["learned_weights"]!.ToJsonString(), outcome.Summary["learned_weights"]!.ToJsonString());
    }
}
