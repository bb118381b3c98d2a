using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Api;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Routing;
using MoCo.Router.Store;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>api_trained_router (methods-api.md §4) through the real engine and evaluator, a scripted Train and reward
/// model: labels from dev scores with rewards on ties only, |dev| SFT rows `Model k` on the ChooserSFT settings, and
/// test answers from the model the trained router names (a seeded draw where it names none).</summary>
public sealed class TrainedRouterTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;

    private static string Config(int seed = 7) => EngineHarness.Config("api_trained_router", "\"m-wrong\", \"m-right\", \"m-polite\"",
        """, "router_base_model": "m-base", "reward_model_name": "m-reward" """, seed);

    [Fact]
    public async Task Ties_go_to_the_higher_reward_and_the_trained_router_picks_each_answering_model()
    {
        var test = await harness.GoldAsync(Split.Test, Limit);
        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var gold = test.Concat(dev).GroupBy(g => g.Prompt).ToDictionary(g => g.Key, g => g.First().Letter);
        var questions = test.Select(t => t.Prompt).ToList();
        var trainer = new ScriptedTrainer { RewardModel = r => r.Prompt.Chat.Messages[1].Content.EndsWith("Sure.", StringComparison.Ordinal) ? 2f : 1f };
        // The trained router names model 1 for item 0 mod 3, model 3 for 1 mod 3, and nothing parseable otherwise.
        var backend = new RoutingBackend(gold, (model, question, _) => model.StartsWith("trained-", StringComparison.Ordinal)
            ? (questions.IndexOf(question) % 3) switch { 0 => "Model 1", 1 => " Model 3 ", _ => "Model ?" }
            : "unexpected", "m-right", "m-polite")
        { Style = m => m == "m-polite" ? " Sure." : "" };
        var (engine, _) = await harness.EngineAsync(backend, inference: new InferenceService.InferenceServiceClient(trainer));
        var result = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.True(result.Status == RunState.Succeeded, result.Error?.Message);

        // m-right and m-polite are both right on every dev item: rewards are asked for those two only, and " Sure." wins.
        Assert.Equal(dev.Count * 2, trainer.Scored.Count);
        Assert.All(trainer.Scored, s => Assert.Equal("m-reward", s.Model));
        var job = Assert.Single(trainer.Jobs);
        Assert.Equal((TrainKind.Sft, "m-base"), (job.Job.Kind, job.Job.BaseModel));
        Assert.Equal((1e-5, 5, 1, 32), (job.Job.Hyper.LearningRate!.Value, job.Job.Hyper.Epochs!.Value, job.Job.Hyper.MicroBatch!.Value, job.Job.Hyper.GradAccum!.Value));
        Assert.Equal(dev.Select(d => (RouterPrompts.TrainedRouter(d.Prompt, 3, null), "Model 3")),
            job.Examples.Select(e => (Assert.Single(e.Prompt.Chat.Messages).Content, e.Completion.Text)));

        var log = harness.ReadRunLog(result.RunId);
        var entries = log["logs"]!.AsArray();
        string[] names = ["m-wrong", "m-right", "m-polite"];
        for (var k = 0; k < Limit; k++)
        {
            var entry = entries[k]!.AsObject();
            Assert.Equal(["input", "selected_model", "output", "score"], entry.Select(p => p.Key).ToList());
            var selected = (string)entry["selected_model"]!;
            if (k % 3 != 2)
            {
                Assert.Equal(k % 3 == 0 ? "m-wrong" : "m-polite", selected);
            }
            Assert.Equal($"The answer is {backend.Letter(selected, questions[k])}.{(selected == "m-polite" ? " Sure." : "")}", (string)entry["output"]!);
        }
        var moco = log["moco"]!.AsObject();
        Assert.Equal(job.Job.OutputId, (string)moco["trained_router"]!);
        var router = RouterStore.InArtifacts(harness.ArtifactsDirectory).Find((string)moco["router_id"]!)!;
        Assert.Equal((job.Job.OutputId, -1), (router.Artifact, (int)router.Payload["fallback"]!));
        Assert.True(File.Exists(Path.Combine(harness.ArtifactsDirectory, result.RunId, "api_trained_router", "router_model_sft_data_agieval_tiny_3.jsonl")));

        // The unparseable items draw their model from the run seed: a second run with the seed draws the same.
        var again = await engine.StartAsync(harness.Start(Config(), Limit), _ => { }, default);
        Assert.Equal(entries.Select(e => (string)e!["selected_model"]!), harness.ReadRunLog(again.RunId)["logs"]!.AsArray().Select(e => (string)e!["selected_model"]!));
    }

    [Fact]
    public void ChooserSFT_uses_the_reference_settings() =>
        Assert.Equal(new TrainingSettings(1, 32, 1e-5, 5), TrainingSettings.ChooserSft);
}
