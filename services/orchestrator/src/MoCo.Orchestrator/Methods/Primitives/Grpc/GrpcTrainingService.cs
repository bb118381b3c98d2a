using System.Diagnostics;
using System.Text.Json.Nodes;
using Google.Protobuf;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Router.Routing;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>
/// LoRA SFT and DPO over moco.v1.InferenceService.Train (contracts.md §4) with the settings of methods-text.md §0.9.
/// Examples go as inference renders them: the prompt as one chat-templated user turn with the generation prompt (and
/// any prefill), the target with the end-of-turn/EOS token the server appends. The job's call key covers the base
/// model's fingerprint, the whole job and a digest of the examples; the trained model is named `trained-{key}`, so a
/// job whose model the service still has (resumed run, or another run of the same job) is answered by that model
/// without training, and one the service lost (restart) is trained again from the same seed. Each trained model is
/// registered in the run's <paramref name="rebuilds"/> with this same job, so a call that later finds it gone (its
/// replica left the gateway's rotation, contracts.md §9) has it trained again and is repeated.
/// </summary>
public sealed class GrpcTrainingService(InferenceService.InferenceServiceClient client, IGenerationBackend models, Engine.ModelAddresses addresses,
    ICallLedger ledger, IRunMeter meter, RunConfig config, RebuildScope? rebuilds = null) : ITrainingService
{
    /// <inheritdoc/>
    public Task<TrainedModel> SftAsync(CallSite site, string baseModel, IReadOnlyList<SftExample> examples, TrainingSettings settings,
        CancellationToken cancellationToken) =>
        TrainAsync(site, baseModel, TrainKind.Sft,
            [.. examples.Select(e => new TrainExample { Prompt = UserPrompts.Of(e.Prompt), Completion = new Continuation { Text = e.Completion } })], settings, cancellationToken);

    /// <inheritdoc/>
    public Task<TrainedModel> DpoAsync(CallSite site, string baseModel, IReadOnlyList<PreferenceExample> examples, TrainingSettings settings,
        CancellationToken cancellationToken) =>
        TrainAsync(site, baseModel, TrainKind.Dpo, [.. examples.Select(e => new TrainExample
        {
            Prompt = UserPrompts.Of(e.Prompt),
            Preference = new PreferencePair { Chosen = new Continuation { Text = e.Chosen }, Rejected = new Continuation { Text = e.Rejected } },
        })], settings, cancellationToken);

    /// <inheritdoc/>
    public Task<TrainedModel> PolicyGradientAsync(CallSite site, string baseModel, IReadOnlyList<string> prompts, PolicyGradientSettings settings,
        RolloutRewards rewards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rewards);
        var job = PolicyGradientJob(settings);
        return TrainAsync(site, baseModel, job, [.. prompts.Select(p => new TrainExample { Prompt = UserPrompts.Of(p), PromptOnly = new PromptOnly() })], rewards, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<TrainedModel> DeferralAsync(CallSite site, string generator, IReadOnlyList<DeferralExample> examples, DeferralSettings settings,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(settings);
        var job = DeferralJobs.Create(settings);
        return TrainAsync(site, generator, job, [.. examples.Select(DeferralJobs.Example)], null, cancellationToken);
    }

    /// <summary>The GRPO job of methods-text.md §6 (trl 0.19.1 as text_agglm configures it): LoRA as §0.9, one prompt and
    /// its G rollouts per optimizer step, warmup 0.1, seed 42, no KL term, rollouts sampled at the given temperature with
    /// top-p 1 and no top-k.</summary>
    /// <exception cref="ArgumentException">A schedule other than cosine, linear or constant.</exception>
    public static TrainJob PolicyGradientJob(PolicyGradientSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var schedule = settings.Schedule switch
        {
            "cosine" => LrSchedule.Cosine,
            "linear" => LrSchedule.Linear,
            "constant" => LrSchedule.Constant,
            _ => throw new ArgumentException($"lr_scheduler \"{settings.Schedule}\" is not a schedule the trainer runs; use cosine, linear or constant", nameof(settings)),
        };
        var job = Job(TrainKind.PolicyGradient, new TrainingSettings(1, 1, settings.LearningRate, settings.Epochs));
        job.Hyper.Schedule = schedule;
        job.Hyper.WeightDecay = settings.WeightDecay;
        job.Hyper.GroupSize = settings.GroupSize;
        job.Hyper.KlBeta = 0;
        job.RolloutSampling = new SamplingParams { Temperature = (float)settings.Temperature, TopP = 1f, TopK = 0, DoSample = true, MaxNewTokens = settings.MaxNewTokens };
        return job;
    }

    /// <summary>The job §0.9 describes, before its base model, output id and call key are set.</summary>
    public static TrainJob Job(TrainKind kind, TrainingSettings settings) => LoraJobs.Create(kind, settings);

    private Task<TrainedModel> TrainAsync(CallSite site, string baseModel, TrainKind kind, IReadOnlyList<TrainExample> examples, TrainingSettings settings,
        CancellationToken cancellationToken) =>
        TrainAsync(site, baseModel, Job(kind, settings), examples, null, cancellationToken);

    private async Task<TrainedModel> TrainAsync(CallSite site, string baseModel, TrainJob job, IReadOnlyList<TrainExample> examples, RolloutRewards? rewards,
        CancellationToken cancellationToken)
    {
        if (examples.Count == 0)
        {
            throw new ArgumentException($"training {baseModel} needs at least one example", nameof(examples));
        }
        // The job as the caller built it: the key is computed over it, and the job sent gains the base, output and key.
        var pristine = job.Clone();
        var fingerprint = await models.FingerprintAsync(baseModel, cancellationToken).ConfigureAwait(false);
        var digest = CallKeys.Hex(new JsonArray([.. examples.Select(e => (JsonNode?)JsonNode.Parse(JsonFormatter.Default.Format(e)))]));
        var key = CallKeys.Key(site, fingerprint, "train", 0, new JsonObject { ["job"] = JsonNode.Parse(JsonFormatter.Default.Format(job)), ["examples"] = digest });
        var modelId = "trained-" + key;
        var modelIndex = config.ModelNames.ToList().IndexOf(baseModel);

        if (await TrainCalls.AvailableAsync(client, modelId, cancellationToken).ConfigureAwait(false))
        {
            Rebuildable();
            var stored = await ledger.GetAsync(key, cancellationToken).ConfigureAwait(false);
            var usage = stored?.Usage ?? new CallUsage(0, 0, TimeSpan.Zero);
            meter.CallFinished(site.Phase, baseModel, usage, fromStore: true);
            double? loss = stored is null ? null : (double?)JsonNode.Parse(stored.ResultJson)!["final_loss"];
            return new TrainedModel(modelId, loss, Reused: true);
        }

        job.BaseModel = addresses.Of(baseModel);
        job.OutputId = modelId;
        job.CallKey = key;
        var clock = Stopwatch.StartNew();
        var (done, replica) = await RunAsync(site.Phase, baseModel, job, examples, rewards, cancellationToken).ConfigureAwait(false);
        var spent = new CallUsage(0, 0, clock.Elapsed, replica);
        var result = new JsonObject { ["model_id"] = done.ModelId, ["final_loss"] = done.FinalLoss, ["fingerprint"] = done.Fingerprint };
        await ledger.PutAsync(new LedgerEntry(key, site.Phase, "train", modelIndex, "train", 0, result.ToJsonString(), spent, baseModel), cancellationToken).ConfigureAwait(false);
        meter.CallFinished(site.Phase, baseModel, spent, fromStore: false);
        Rebuildable();
        return new TrainedModel(done.ModelId, done.FinalLoss, Reused: false);

        // Registered once the model exists: registered before, the availability probe's NOT_FOUND would itself set
        // off the rebuild, and the job would train inside it, its progress unreported.
        void Rebuildable() => rebuilds?.Register(modelId, token => TrainAsync(site, baseModel, pristine.Clone(), examples, rewards, token));
    }

    // Each optimizer step is reported to the phase as the model's progress; the rate counts only the steps this call ran
    // (a resubmitted job continues after the steps it kept). A base this run made that went with its replica is made
    // again and the job sent once more (TrainCalls).
    private Task<TrainOutcome> RunAsync(string phase, string baseModel, TrainJob job, IReadOnlyList<TrainExample> examples, RolloutRewards? rewards,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var totalSteps = 0;
        var firstStep = 0;
        return TrainCalls.RunAsync(client, job, examples, response =>
        {
            if (response.PayloadCase == TrainResponse.PayloadOneofCase.Started)
            {
                (totalSteps, clock, firstStep) = (response.Started.TotalSteps, Stopwatch.StartNew(), 0);
            }
            else
            {
                var step = response.Progress.Step;
                firstStep = firstStep == 0 ? step : firstStep;
                meter.TrainingStep(phase, baseModel, step, Math.Max(totalSteps, step), response.Progress.Loss,
                    (step - firstStep + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3));
            }
            return Task.CompletedTask;
        }, rewards is null ? null : async (batch, ct) =>
            await rewards([.. batch.Rollouts.Select(r => new PolicyRollout(r.ExampleIndex, r.SampleIndex, r.Text))], ct).ConfigureAwait(false), rebuilds, cancellationToken);
    }
}
