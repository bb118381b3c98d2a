using System.Security.Cryptography;
using System.Text;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Text;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_slm_mux (methods-text.md §10): the confidence and tie rules on hand-made answers, and whole runs
/// through the real engine and evaluator with scripted models whose agreement is known.</summary>
public sealed class SlmMuxTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;

    [Fact]
    public void Confidence_is_the_top_count_over_k_and_the_reference_divides_by_the_valid_answers()
    {
        var rng = SeededRng.For(42, "t");
        var x = SlmMux.Of(["A", "A", "B", null, "A"], perValidAnswer: false, rng);
        Assert.Equal("A", x.Selected);
        Assert.Equal(0.6, x.Confidence, 12);
        Assert.Equal([KeyValuePair.Create("A", 3), KeyValuePair.Create("B", 1)], x.Counts);
        Assert.Equal(0, x.Sample);
        var y = SlmMux.Of(["  ", null, "C", null, null], perValidAnswer: false, rng);
        Assert.Equal(("C", 0.2, 2), (y.Selected, y.Confidence, y.Sample));

        Assert.Equal(0.75, SlmMux.Of(["A", "A", "B", null, "A"], perValidAnswer: true, rng).Confidence, 12);
        Assert.Equal(1.0, SlmMux.Of(["C", null, null, null, null], perValidAnswer: true, rng).Confidence, 12);

        var (winner, tied) = SlmMux.Winner([x.Confidence, y.Confidence], "dev-based", [0.0, 1.0], rng);
        Assert.Equal((0, false), (winner, tied));
    }

    [Fact]
    public void No_valid_answer_selects_nothing_with_confidence_zero()
    {
        var none = SlmMux.Of([null, " ", ""], perValidAnswer: false, SeededRng.For(1, "t"));
        Assert.Equal(("", 0.0, 0), (none.Selected, none.Confidence, none.Sample));
        Assert.Empty(none.Counts);
    }

    [Theory]
    [InlineData("dev-based", 1)]
    [InlineData("model-order", 0)]
    public void Equal_confidences_go_to_dev_accuracy_or_model_order(string tie, int expected)
    {
        Assert.Equal((expected, true), SlmMux.Winner([0.6, 0.6, 0.2], tie, [0.3, 0.5, 0.9], SeededRng.For(1, "t")));
    }

    [Fact]
    public void Dev_accuracy_ties_go_to_the_lower_index_and_random_ties_are_reproducible()
    {
        Assert.Equal((1, true), SlmMux.Winner([0.2, 0.6, 0.6], "dev-based", [0.9, 0.5, 0.5], SeededRng.For(1, "t")));
        var draws = Enumerable.Range(0, 40).Select(s => SlmMux.Winner([0.6, 0.6, 0.6], "random", [0, 0, 0], SeededRng.For((ulong)s, "t")).Winner).ToList();
        Assert.Equal(draws, Enumerable.Range(0, 40).Select(s => SlmMux.Winner([0.6, 0.6, 0.6], "random", [0, 0, 0], SeededRng.For((ulong)s, "t")).Winner));
        Assert.Equal([0, 1, 2], draws.Distinct().Order());
        // An answer tie is drawn too, and the attached sample is the first that gave the drawn answer.
        var answers = Enumerable.Range(0, 40).Select(s => SlmMux.Of(["B", "A", "A", "B"], false, SeededRng.For((ulong)s, "t"))).ToList();
        Assert.Equal(["A", "B"], answers.Select(a => a.Selected).Distinct().Order());
        Assert.All(answers, a => Assert.Equal(a.Selected == "B" ? 0 : 1, a.Sample));
    }

    [Fact]
    public async Task The_most_self_consistent_model_wins_and_equal_runs_give_equal_logs()
    {
        var models = new[] { "m-noisy", "m-steady", "m-silent" };
        var config = Config(models, "model-order");
        var backend = new SlmMuxBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        // k = 3 samples in one request per model and item; no dev pass without dev-based.
        Assert.Equal(Limit * models.Length, backend.Calls);

        var gold = await harness.GoldAsync(Split.Test, Limit);
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(["task", "task_type", "method", "model_names", "hyperparameters", "model_accuracies", "avg_test_score", "logs", "moco"],
            log.Select(p => p.Key).ToList());
        Assert.Empty(log["model_accuracies"]!.AsObject());
        var entries = log["logs"]!.AsArray();
        var total = 0.0;
        for (var k = 0; k < Limit; k++)
        {
            var entry = entries[k]!.AsObject();
            Assert.Equal(["input", "output", "score", "selected_model", "selected_answer", "confidence", "per_model_confidence", "per_model_selected",
                "per_model_vote_counts", "tied"], entry.Select(p => p.Key).ToList());
            var confidence = entry["per_model_confidence"]!.AsObject().ToDictionary(p => p.Key, p => (double)p.Value!);
            var selected = entry["per_model_selected"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);
            var votes = entry["per_model_vote_counts"]!.AsObject();
            var steady = SlmMuxBackend.Letter("m-steady", gold[k].Prompt, 0);
            Assert.Equal((steady, 1.0), (selected["m-steady"], confidence["m-steady"]));
            Assert.Equal(("", 0.0), (selected["m-silent"], confidence["m-silent"]));
            Assert.Empty(votes["m-silent"]!.AsObject());
            var noisy = votes["m-noisy"]!.AsObject().Select(p => (int)p.Value!).ToList();
            Assert.Equal(3, noisy.Sum());
            Assert.Equal(noisy.Max() / 3.0, confidence["m-noisy"], 12);

            // m-steady is always fully consistent; m-noisy ties it only when its three samples agree, and then model order
            // picks m-noisy (index 0).
            var expectedModel = confidence["m-noisy"] == 1.0 ? "m-noisy" : "m-steady";
            Assert.Equal(expectedModel, (string)entry["selected_model"]!);
            Assert.Equal(confidence["m-noisy"] == 1.0, (bool)entry["tied"]!);
            Assert.Equal(1.0, (double)entry["confidence"]!);
            Assert.Equal(selected[expectedModel], (string)entry["output"]!);
            Assert.Equal((string)entry["output"]!, (string)entry["selected_answer"]!);
            var score = (string)entry["output"]! == gold[k].Letter ? 1.0 : 0.0;
            Assert.Equal(score, (double)entry["score"]!);
            total += score;
        }
        Assert.Equal(total / Limit, result.Score!.Value, 9);
        Assert.Equal(Limit, (await store.GetItemsAsync(result.RunId, "test")).Count);
        // Baselines are each model's first samples; m-silent never answers.
        Assert.Equal(0.0, result.Baselines.Single(b => b.Model == "m-silent").Test);

        var again = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(entries.ToJsonString(), harness.ReadRunLog(again.RunId)["logs"]!.ToJsonString());
    }

    [Fact]
    public async Task Dev_based_ties_go_to_the_model_with_the_best_dev_accuracy()
    {
        var models = new[] { "m-silent", "m-steady", "m-steady-too" };
        var (engine, _) = await harness.EngineAsync(new SlmMuxBackend());
        var result = await engine.StartAsync(harness.Start(Config(models, "dev-based"), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var accuracy = models.ToDictionary(m => m, m => m == "m-silent" ? 0.0 : dev.Average(d => SlmMuxBackend.Letter(m, d.Prompt, 0) == d.Letter ? 1.0 : 0.0));
        var log = harness.ReadRunLog(result.RunId);
        var recorded = log["model_accuracies"]!.AsObject();
        Assert.Equal(models, recorded.Select(p => p.Key));
        Assert.All(models, m => Assert.Equal(accuracy[m], (double)recorded[m]!, 9));
        // Both steady models are fully consistent on every item: the better on dev wins, the first on equality.
        var expected = accuracy["m-steady-too"] > accuracy["m-steady"] ? "m-steady-too" : "m-steady";
        Assert.All(log["logs"]!.AsArray(), e =>
        {
            Assert.True((bool)e!["tied"]!);
            Assert.Equal(expected, (string)e["selected_model"]!);
        });
    }

    private static string Config(string[] models, string tie) => EngineHarness.Config("text_slm_mux", string.Join(", ", models.Select(m => $"\"{m}\"")),
        $", \"samples_per_model\": 3, \"tie\": \"{tie}\", \"seed\": 5");
}

/// <summary>A TEST DOUBLE of Generate for SLM-MUX: "m-steady…" models give one letter per prompt in every sample,
/// "m-noisy" a letter per (prompt, call seed, sample), "m-silent" nothing parseable.</summary>
internal sealed class SlmMuxBackend : IGenerationBackend
{
    private int _calls;

    public int Calls => _calls;

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        IReadOnlyList<GeneratedSample> samples = [.. Enumerable.Range(0, call.Samples).Select(s => new GeneratedSample(call.Model switch
        {
            "m-silent" => "???",
            "m-noisy" => $"The answer is {Letter(call.Model, call.Prompt, call.Seed + (ulong)s)}.",
            _ => $"The answer is {Letter(call.Model, call.Prompt, 0)}.",
        }, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1))))];
        return Task.FromResult(samples);
    }

    public static string Letter(string model, string prompt, ulong salt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{model}\n{salt}\n{prompt}"));
        return ((char)('A' + hash[0] % 4)).ToString();
    }
}
