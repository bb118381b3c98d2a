using System.Collections.Concurrent;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Logit;

/// <summary>logit_logit_contrastive's choice of ensemble (methods-logit-weight.md §4 acceptance (d)): the models are
/// ranked by dev mean (ties in config order), the k best then the k worst form the contrast, and model 0 renders the
/// prompts; each test item is decoded once by that ensemble with the config's λ and α.</summary>
public sealed class LogitContrastiveTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 10;
    private const string Models = "\"m-a\", \"m-b\", \"m-c\"";

    [Fact]
    public async Task Dev_scores_point_two_point_nine_point_five_with_k_1_contrast_model_1_against_model_0()
    {
        var backend = new DevScriptedBackend(await DevGoldAsync(), new Dictionary<string, int> { ["m-a"] = 2, ["m-b"] = 9, ["m-c"] = 5 });
        var (engine, _) = await harness.EngineAsync(backend);
        var config = EngineHarness.Config("logit_logit_contrastive", Models, ", \"k\": 1, \"lambda_\": 0.5, \"plausibility_alpha\": 0.1");
        var result = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);

        var specs = backend.Ensembles.Select(c => c.Spec).ToList();
        Assert.Equal(Limit, specs.Count);
        var spec = Same(specs);
        // Ranking [1, 2, 0]: top = model 1, bottom = model 0, which is also the template member.
        Assert.Equal(["m-b", "m-a"], spec.Members);
        Assert.Equal([0], spec.Top);
        Assert.Equal([1], spec.Bottom);
        Assert.Equal(1, spec.TemplateMember);
        Assert.Equal((0.5, 0.1), (spec.Lambda, spec.PlausibilityAlpha));
        var moco = harness.ReadRunLog(result.RunId)["moco"]!;
        Assert.Equal("[1,2,0]", moco["ranking"]!.ToJsonString());
        Assert.Equal("""{"0":0.2,"1":0.9,"2":0.5}""", moco["dev_scores"]!.ToJsonString());
    }

    [Fact]
    public async Task Equal_dev_scores_contrast_the_first_model_against_the_last_with_the_first_rendering()
    {
        var backend = new DevScriptedBackend(await DevGoldAsync(), new Dictionary<string, int> { ["m-a"] = 4, ["m-b"] = 4, ["m-c"] = 4 });
        var (engine, _) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("logit_logit_contrastive", Models), Limit), _ => { }, default);
        Assert.Equal(RunState.Succeeded, result.Status);
        var spec = Same([.. backend.Ensembles.Select(c => c.Spec)]);
        Assert.Equal(["m-a", "m-c"], spec.Members);
        Assert.Equal(0, spec.TemplateMember);
        Assert.Equal(0.2, spec.Lambda);
        // Every test item decoded once, at the config's temperature; dev answered once per model and item (the other
        // solo calls are the engine's test baselines).
        Assert.Equal(Limit, backend.Ensembles.Count);
        Assert.All(backend.Ensembles, c => Assert.Equal(0.7, c.Temperature));
        Assert.Equal(3 * Limit, backend.Solo.Count(c => backend.IsDev(c.Prompt)));
    }

    // The one ensemble every test item was decoded with (each call carries its own copy of the spec).
    private static EnsembleSpec Same(List<EnsembleSpec> specs)
    {
        Assert.All(specs, s => Assert.Equal(specs[0].Describe(specs[0].Members).ToJsonString(), s.Describe(s.Members).ToJsonString()));
        return specs[0];
    }

    private async Task<Dictionary<string, (int Index, string Letter)>> DevGoldAsync() =>
        (await harness.GoldAsync(Split.Dev, Limit)).Select((g, i) => (g.Prompt, (i, g.Letter))).ToDictionary(p => p.Prompt, p => p.Item2);

    /// <summary>A TEST DOUBLE of Generate and GenerateEnsemble: on dev, model m answers the first right[m] items correctly
    /// and the rest wrongly (so its dev mean is right[m]/N); ensemble calls are recorded and answered with "A".</summary>
    private sealed class DevScriptedBackend(Dictionary<string, (int Index, string Letter)> dev, Dictionary<string, int> right)
        : IGenerationBackend, IEnsembleBackend
    {
        public ConcurrentQueue<GenerationCall> Solo { get; } = new();

        public ConcurrentQueue<EnsembleCall> Ensembles { get; } = new();

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public bool IsDev(string prompt) => dev.ContainsKey(prompt);

        public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
        {
            Solo.Enqueue(call);
            var letter = dev.TryGetValue(call.Prompt, out var item)
                ? item.Index < right[call.Model] ? item.Letter : ((char)('A' + (item.Letter[0] - 'A' + 1) % 4)).ToString()
                : "A";
            return Answer(letter);
        }

        public Task<IReadOnlyList<GeneratedSample>> GenerateEnsembleAsync(EnsembleCall call, CancellationToken cancellationToken)
        {
            Ensembles.Enqueue(call);
            return Answer("A");
        }

        private static Task<IReadOnlyList<GeneratedSample>> Answer(string letter) =>
            Task.FromResult<IReadOnlyList<GeneratedSample>>([new GeneratedSample($"The answer is {letter}.", "stop", new CallUsage(10, 4, TimeSpan.Zero))]);
    }
}
