using System.Collections.Concurrent;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Primitives.Grpc;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>The training primitive over a scripted Train (<see cref="ScriptedTrainer"/>): the §0.9 job, examples as
/// inference renders them, keys that follow the examples and settings, the ledger entry, and refusals.</summary>
public sealed class TrainingServiceTests
{
    private static readonly CallSite Site = new("text_llm_blender", CompatMode.Reference, "dev · train", "role");
    private readonly ScriptedTrainer _trainer = new();
    private readonly MemoryLedger _ledger = new();
    private readonly StepMeter _meter = new();

    [Fact]
    public async Task A_dpo_job_sends_preference_pairs_with_beta_and_the_fixed_lora_and_commits_the_model_under_its_key()
    {
        var trained = await Service().DpoAsync(Site, "m-a", [new PreferenceExample("Pick one.<begin>Answer:", "good", "bad")], TrainingSettings.Dpo, default);

        var job = Assert.Single(_trainer.Jobs);
        Assert.Equal((TrainKind.Dpo, "m-a", 0.1, 1e-6, 1, 16), (job.Job.Kind, job.Job.BaseModel, job.Job.Hyper.Beta!.Value, job.Job.Hyper.LearningRate!.Value,
            job.Job.Hyper.Epochs!.Value, job.Job.Hyper.GradAccum!.Value));
        var example = Assert.Single(job.Examples);
        // The prompt's `<begin>` starts the prefill, as generation renders it.
        Assert.Equal(("Pick one.", "Answer:"), (Assert.Single(example.Prompt.Chat.Messages).Content, example.Prompt.Chat.AssistantPrefill));
        Assert.Equal(("good", "bad"), (example.Preference.Chosen.Text, example.Preference.Rejected.Text));

        Assert.Equal(new TrainedModel("trained-" + job.Job.CallKey, 0.25, Reused: false), trained);
        // The trainer's steps reach the phase as the base model's progress with their loss.
        Assert.Equal([("dev · train", "m-a", 1, 1, 0.25)], _meter.Steps);
        var entry = Assert.Single(_ledger.Entries.Values);
        Assert.Equal((job.Job.CallKey, "train", "dev · train", 0), (entry.CallKey, entry.Kind, entry.Phase, entry.ModelIndex));
        Assert.Equal(trained with { Reused = true }, await Service().DpoAsync(Site, "m-a", [new PreferenceExample("Pick one.<begin>Answer:", "good", "bad")],
            TrainingSettings.Dpo, default));
        Assert.Single(_trainer.Jobs);
    }

    [Fact]
    public async Task The_key_follows_the_examples_the_settings_and_the_base_model()
    {
        var service = Service();
        SftExample[] examples = [new("q", "a")];
        var ids = new[]
        {
            (await service.SftAsync(Site, "m-a", examples, TrainingSettings.Sft, default)).ModelId,
            (await service.SftAsync(Site, "m-a", [new("q", "b")], TrainingSettings.Sft, default)).ModelId,
            (await service.SftAsync(Site, "m-a", examples, TrainingSettings.Sft with { Epochs = 1 }, default)).ModelId,
            (await service.SftAsync(Site, "m-b", examples, TrainingSettings.Sft, default)).ModelId,
        };
        Assert.Equal(4, ids.Distinct().Count());
        Assert.Equal(4, _trainer.Jobs.Count);
    }

    [Fact]
    public async Task No_examples_is_refused_before_any_call()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Service().SftAsync(Site, "m-a", [], TrainingSettings.Sft, default));
        Assert.Contains("m-a", error.Message, StringComparison.Ordinal);
        Assert.Empty(_trainer.Jobs);
    }

    private GrpcTrainingService Service() => new(new InferenceService.InferenceServiceClient(_trainer), new ScriptedBackend(), new ModelAddresses(), _ledger,
        _meter, TestData.Validate(EngineHarness.Config("text_llm_blender", "\"m-a\", \"m-b\"", ", \"ranker_model_name\": \"judge\"")).Config!);

    private sealed class MemoryLedger : ICallLedger
    {
        public ConcurrentDictionary<string, LedgerEntry> Entries { get; } = new();

        public Task<StoredCall?> GetAsync(string callKey, CancellationToken cancellationToken) =>
            Task.FromResult(Entries.TryGetValue(callKey, out var e) ? new StoredCall(e.ResultJson, e.Usage) : null);

        public Task PutAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            Entries.TryAdd(entry.CallKey, entry);
            return Task.CompletedTask;
        }
    }

    private sealed class StepMeter : IRunMeter
    {
        public ConcurrentQueue<(string Phase, string Model, int Step, int Total, double Loss)> Steps { get; } = new();

        public void CallFinished(string phase, string model, CallUsage usage, bool fromStore)
        {
        }

        public void TrainingStep(string phase, string model, int step, int totalSteps, double loss, double stepsPerSecond)
        {
            Assert.True(stepsPerSecond > 0);
            Steps.Enqueue((phase, model, step, totalSteps, loss));
        }
    }
}
