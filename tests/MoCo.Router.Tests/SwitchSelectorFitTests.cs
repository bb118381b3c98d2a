using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;
using MoCo.Router.Switching;
using MoCo.Router.Training;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's api_switch_generation fit (methods-api.md §3, §0.11 "selector LoRA (if none given)") over scripted
/// models and trainer: the selector's rows are exactly <see cref="SelectorTraining"/>'s (the loop runs share) on the dev
/// prompts with the router's models and the reward model, ChooserSFT of selector_base_model learns them, progress shows
/// each iteration and step, a given selector is stored without training, and too small a dev set is refused before any
/// call.</summary>
public sealed class SwitchSelectorFitTests
{
    private static readonly string[] Models = ["m-a", "m-b"];

    // A patch names its author and the length of what it continues, so rollouts differ by author and by prefix.
    private static string Patch(string model, string prompt) => $" {model}/{(prompt.Length % 7).ToString(CultureInfo.InvariantCulture)}";

    // Rewards favour m-b's patches and vary with the prompt.
    private static double Reward(string prompt, string output) => output.Split("m-b").Length + 0.1 * (prompt.Length % 3);

    private sealed class ScriptedModels : IRouterModels
    {
        public ConcurrentQueue<(string Model, string Prompt)> Generations { get; } = new();

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Generations.Enqueue((model, prompt));
            return Task.FromResult(new RouterGeneration(Patch(model, prompt), new Usage()));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("selector training embeds nothing");
    }

    // The same patches, straight into the shared loop.
    private sealed class DirectSwitchModels : ISwitchModels
    {
        public Task<IReadOnlyList<string>> PatchesAsync(int model, IReadOnlyList<SwitchCall> calls, int round, int patchSize, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>([.. calls.Select(c => Patch(Models[model], c.Prompt))]);

        public Task<IReadOnlyList<string>> SelectAsync(string selector, IReadOnlyList<SwitchCall> calls, int round, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("rollouts draw their authors");
    }

    private static RouterContext Context(params (string Key, Value Value)[] extra)
    {
        var context = new RouterContext { Method = "api_switch_generation", Seed = 5, RunId = "fit" };
        context.ModelNames.AddRange(Models);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["patch_size"] = Value.ForNumber(4),
                ["max_response_length"] = Value.ForNumber(24),
                ["batch_size"] = Value.ForNumber(2),
                ["training_instance_num"] = Value.ForNumber(4),
                ["rollout_per_instance"] = Value.ForNumber(3),
                ["selector_base_model"] = Value.ForString("sel-base"),
                ["reward_model_name"] = Value.ForString("rm"),
            },
        };
        foreach (var (key, value) in extra)
        {
            context.Hyperparameters.Fields[key] = value;
        }
        return context;
    }

    private static DevInput[] Dev(int n) => [.. Enumerable.Range(0, n).Select(j => new DevInput { Index = j, Prompt = $"question {new string('?', j + 1)}" })];

    private static async Task<((System.Text.Json.Nodes.JsonObject Payload, string? Artifact) Fit, List<Progress> Progress)> FitAsync(RouterTraining training,
        RouterContext context, DevInput[] dev)
    {
        var log = new ProgressLog();
        var fit = await training.SelectorAsync(context, dev, "switch-generation-1", log.Add, default);
        return (fit, log.Reports);
    }

    [Fact]
    public async Task The_selector_is_ChooserSFT_of_the_base_model_on_the_rows_the_shared_loop_draws_from_the_dev_prompts()
    {
        var models = new ScriptedModels();
        var trainer = new ScriptedRouterTrainer(Reward);
        var dev = Dev(3);
        var ((payload, artifact), progress) = await FitAsync(new RouterTraining(models, trainer), Context(), dev);

        var expected = await SelectorTraining.RowsAsync(new SwitchGeneration(2, 5, 4, false, false), new DirectSwitchModels(), [.. dev.Select(i => i.Prompt)], 2, 5,
            new SelectorTrainingSettings(2, 2, 3, 6), (rollouts, _) => Task.FromResult<IReadOnlyList<double>>([.. rollouts.Select(r => Reward(r.Prompt, r.Output))]),
            _ => Task.CompletedTask, default);
        var (job, examples) = Assert.Single(trainer.Jobs);
        Assert.Equal(4, examples.Count);
        Assert.Equal(expected.Select(r => (UserPrompts.Of(r.Prompt), r.Label.ToString(CultureInfo.InvariantCulture))),
            examples.Select(e => (e.Prompt, e.Completion.Text)));
        // Two iterations of two prompts with three rollouts each, every rollout rewarded by the reward model.
        Assert.Equal(12, trainer.Rewards.Count);
        Assert.All(trainer.Rewards, r => Assert.Equal("rm", r.Model));
        Assert.DoesNotContain(models.Generations, g => g.Model is not ("m-a" or "m-b"));

        var chooser = LoraJobs.Create(TrainKind.Sft, TrainingSettings.ChooserSft);
        chooser.BaseModel = "sel-base";
        chooser.OutputId = job.OutputId;
        chooser.CallKey = job.OutputId;
        Assert.Equal(chooser, job);
        Assert.Equal(job.OutputId, artifact);
        Assert.Equal(RouterPayloads.Selector(job.OutputId).ToJsonString(), payload.ToJsonString());
        Assert.Equal(
            [(ApiCallSites.RolloutPhase, 1, 2), (ApiCallSites.RolloutPhase, 2, 2), (ApiCallSites.TrainSelectorPhase, 0, 3), (ApiCallSites.TrainSelectorPhase, 1, 3),
                (ApiCallSites.TrainSelectorPhase, 2, 3), (ApiCallSites.TrainSelectorPhase, 3, 3)],
            progress.Select(p => (p.Phase, p.Done, p.Total)));
    }

    [Fact]
    public async Task A_given_selector_is_stored_without_training_and_too_few_dev_prompts_are_refused_before_any_call()
    {
        var models = new ScriptedModels();
        var trainer = new ScriptedRouterTrainer(Reward);
        var training = new RouterTraining(models, trainer);
        var ((payload, artifact), progress) = await FitAsync(training, Context(("selector_model_name", Value.ForString("given"))), Dev(3));
        Assert.Equal((RouterPayloads.Selector("given").ToJsonString(), (string?)null), (payload.ToJsonString(), artifact));
        Assert.Empty(progress);

        var small = await Assert.ThrowsAsync<RpcException>(() => FitAsync(training, Context(), Dev(1)));
        Assert.Equal(StatusCode.InvalidArgument, small.StatusCode);
        var violation = Assert.Single(MocoErrors.FieldViolations(small));
        Assert.Equal("dev_set.inputs", violation.Field);
        Assert.Contains("batch_size (2) distinct dev prompts per iteration, and the dev set has 1", violation.Description, StringComparison.Ordinal);

        var shortRuns = await Assert.ThrowsAsync<RpcException>(() => FitAsync(training, Context(("max_response_length", Value.ForNumber(12))), Dev(3)));
        Assert.Equal("context.hyperparameters.max_response_length", Assert.Single(MocoErrors.FieldViolations(shortRuns)).Field);
        Assert.Empty(models.Generations);
        Assert.Empty(trainer.Rewards);
        Assert.Empty(trainer.Jobs);
    }
}
