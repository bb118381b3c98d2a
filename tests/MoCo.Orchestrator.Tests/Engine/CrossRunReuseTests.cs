using System.Collections.Concurrent;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Methods.Api;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>Cross-run reuse (config-and-cli.md §5.2): a call another run of the store already made under the same key is
/// answered from it and copied into the new run; `--no-cache` turns that off; a new seed changes every key but the
/// baselines', which are keyed without the run seed.</summary>
public sealed class CrossRunReuseTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 4;
    private const string ThreeModels = "\"m-a\", \"m-b\", \"m-c\"";

    [Fact]
    public async Task A_second_run_with_the_same_seed_calls_nothing_and_keeps_its_own_copy_of_every_call()
    {
        var backend = new ScriptedBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var config = EngineHarness.Config("text_majority_vote", ThreeModels);
        var first = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        var keys = backend.CallKeys.ToList();
        Assert.Equal(3 * Limit, keys.Count);

        var events = new ConcurrentQueue<RunEvent>();
        var second = await engine.StartAsync(harness.Start(config, Limit), events.Enqueue, default);

        Assert.Equal(RunState.Succeeded, second.Status);
        Assert.Equal(3 * Limit, backend.CallKeys.Count);
        Assert.Equal(first.Score, second.Score);
        Assert.Equal(EngineHarness.ReferencePart(harness.ReadRunLog(first.RunId)).ToJsonString(),
            EngineHarness.ReferencePart(harness.ReadRunLog(second.RunId)).ToJsonString());
        var reused = events.Where(e => e.PhaseFinished is not null).Sum(e => e.PhaseFinished.ReusedCalls);
        Assert.Equal(3 * Limit, reused);
        // Nothing was generated now: the phase keeps its tokens (the logs match the first run's) but no throughput.
        var generate = events.Single(e => e.PhaseFinished?.Name == "test · generate").PhaseFinished;
        Assert.True(generate.CompletionTokens > 0);
        Assert.Equal(0, generate.TokensPerS);
        foreach (var key in keys)
        {
            Assert.NotNull(await store.GetCallAsync(second.RunId, key));
        }
    }

    [Fact]
    public async Task No_cache_computes_every_call_again()
    {
        var backend = new ScriptedBackend();
        var (engine, _) = await harness.EngineAsync(backend);
        var config = EngineHarness.Config("text_majority_vote", ThreeModels);
        await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);

        var events = new ConcurrentQueue<RunEvent>();
        var second = await engine.StartAsync(harness.Start(config, Limit) with { Overrides = new RunOverrides { Limit = Limit, NoCache = true } }, events.Enqueue, default);

        Assert.Equal(RunState.Succeeded, second.Status);
        Assert.Equal(6 * Limit, backend.CallKeys.Count);
        Assert.All(events.Where(e => e.PhaseFinished is not null), e => Assert.Equal(0, e.PhaseFinished.ReusedCalls));
    }

    [Fact]
    public async Task A_new_seed_recomputes_the_method_but_reuses_the_baselines()
    {
        // api_cascade answers from its levels, so the engine computes every model's baseline itself.
        var backend = new LambdaBackend(call => ($"The answer is {ScriptedBackend.Letter(call.Model, call.Prompt)}.", 0.5));
        var (engine, _) = await harness.EngineAsync(backend);
        var config = EngineHarness.Config("api_cascade", "\"m-a\", \"m-b\"", """, "mode": "logit", "percentage": 0.5""");
        var first = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        var firstCalls = backend.Calls.Count;

        // `--seed` changes the run seed, which the method's calls carry; the baselines' derive from the config's seed.
        var events = new ConcurrentQueue<RunEvent>();
        var second = await engine.StartAsync(harness.Start(config, Limit) with { Overrides = new RunOverrides { Limit = Limit, Seed = 8 } }, events.Enqueue, default);

        Assert.Equal(RunState.Succeeded, second.Status);
        Assert.Equal(firstCalls - 2 * Limit, backend.Calls.Count - firstCalls);
        Assert.Equal(first.Baselines.Select(b => (b.Model, b.Test)), second.Baselines.Select(b => (b.Model, b.Test)));
        Assert.Equal(2 * Limit, events.Single(e => e.PhaseFinished?.Name == "baselines").PhaseFinished.ReusedCalls);
        Assert.All(events.Where(e => e.PhaseFinished is { Name: not "baselines" }), e => Assert.Equal(0, e.PhaseFinished.ReusedCalls));
    }
}
