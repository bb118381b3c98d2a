using System.Text.Json.Nodes;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>Resume refuses a changed config, dataset or model (config-and-cli.md §5.3), listing what changed, and
/// goes on with --force; placement-only changes pass.</summary>
public sealed class ResumeChangeTests(EngineHarness harness) : IClassFixture<EngineHarness>
{
    private const int Limit = 2;

    [Fact]
    public void The_diff_lists_each_changed_leaf_in_canonical_form()
    {
        var before = JsonNode.Parse("""{"a": 5, "b": [1, 2], "c": {"d": "x"}, "f": [1]}""");
        var after = JsonNode.Parse("""{"a": 5.0, "b": [1, 3], "c": {}, "e": 1, "f": [1, 2]}""");
        Assert.Equal(["b[1]: 2 → 3", "c.d: \"x\" → (absent)", "e: (absent) → 1", "f: [1] → [1,2]"], ConfigDiff.Lines(before, after));
        Assert.Empty(ConfigDiff.Lines(before, before!.DeepClone()));
    }

    [Fact]
    public async Task A_changed_hyperparameter_is_refused_naming_the_key_and_force_resumes()
    {
        var (engine, _) = await harness.EngineAsync(new ScriptedBackend());
        var config = EngineHarness.Config("single_model", "\"m-a\"");
        var result = await engine.StartAsync(harness.Start(config, Limit), _ => { }, default);
        var changed = config.Replace("\"max_response_length\": 16", "\"max_response_length\": 8");

        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => engine.ResumeAsync(Resume(result.RunId, changed, force: false), _ => { }, default));
        Assert.Equal("RUN_CHANGED", refused.Code);
        Assert.Contains("hyperparameters.max_response_length: 16 → 8", refused.Message);

        var forced = await engine.ResumeAsync(Resume(result.RunId, changed, force: true), _ => { }, default);
        Assert.Equal(RunState.Succeeded, forced.Status);
    }

    [Fact]
    public async Task The_run_stores_model_fingerprints_and_a_changed_model_refuses_resume()
    {
        var backend = new RefingerprintedBackend();
        var (engine, store) = await harness.EngineAsync(backend);
        var result = await engine.StartAsync(harness.Start(EngineHarness.Config("single_model", "\"m-a\""), Limit), _ => { }, default);
        var stored = JsonNode.Parse((await store.GetRunAsync(result.RunId))!.Run.ModelFingerprintsJson)!.AsArray();
        Assert.Equal("""[{"index":0,"name":"m-a","fingerprint":"v1:m-a"}]""", stored.ToJsonString());

        // Same files: resume goes on.
        Assert.Equal(RunState.Succeeded, (await engine.ResumeAsync(Resume(result.RunId, null, force: false), _ => { }, default)).Status);

        backend.Version = "v2";
        var refused = await Assert.ThrowsAsync<RunRejectedException>(() => engine.ResumeAsync(Resume(result.RunId, null, force: false), _ => { }, default));
        Assert.Equal("RUN_CHANGED", refused.Code);
        Assert.Contains("model_names[0]: m-a fingerprint v1:m… → v2:m… (files changed)", refused.Message);
    }

    private RunResume Resume(string run, string? config, bool force) => new(run, config, force, harness.LogDirectory, new LogWriteOptions(), false);

    /// <summary>The scripted answers with a fingerprint the test changes, as if the model's files were replaced.</summary>
    private sealed class RefingerprintedBackend : IGenerationBackend
    {
        private readonly ScriptedBackend _answers = new();

        public string Version { get; set; } = "v1";

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult($"{Version}:{model}");

        public Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken) =>
            _answers.GenerateAsync(call, cancellationToken);
    }
}
