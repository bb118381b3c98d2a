using MoCo.Contracts.V1;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>text_majority_vote with `tie: dev-based` (methods-text.md §1 acceptance c) on the shared BestOnDev.</summary>
public sealed class MajorityVoteDevTieTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 6;
    private static readonly string[] Models = ["m-a", "m-b", "m-c"];

    [Fact]
    public async Task A_tie_goes_to_the_tied_voter_with_the_best_dev_score()
    {
        var (engine, store) = await harness.EngineAsync(new ScriptedBackend());
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("text_majority_vote", "\"m-a\", \"m-b\", \"m-c\"", ", \"tie\": \"dev-based\""), Limit),
            _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var dev = await harness.GoldAsync(Split.Dev, Limit);
        var test = await harness.GoldAsync(Split.Test, Limit);
        var devMeans = Models.Select(m => dev.Average(g => ScriptedBackend.Letter(m, g.Prompt) == g.Letter ? 1.0 : 0.0)).ToList();
        var log = harness.ReadRunLog(result.RunId);
        Assert.Equal(devMeans, log["moco"]!["dev_scores"]!.AsObject().Select(p => (double)p.Value!).ToList());

        var ties = 0;
        for (var k = 0; k < Limit; k++)
        {
            var letters = Models.Select(m => ScriptedBackend.Letter(m, test[k].Prompt)).ToList();
            if (letters.Distinct().Count() < Models.Length)
            {
                continue;
            }
            // Three different answers: every model is a tied voter, in model order; the first best on dev wins.
            ties++;
            var winner = devMeans.IndexOf(devMeans.Max());
            Assert.Equal(letters[winner], (string)log["logs"]![k]!["output"]!);
        }
        Assert.True(ties > 0, "the scripted answers hold no tie to break");
        for (var i = 0; i < Models.Length; i++)
        {
            Assert.Equal(Limit, (await store.GetItemsAsync(result.RunId, MoCo.Orchestrator.Methods.Primitives.BestOnDev.ItemsPhase(i))).Count);
        }
    }
}
