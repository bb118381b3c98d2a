using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;
using MoCo.Router.Training;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's api_trained_router fit (methods-api.md §4) over a scripted trainer: the labels (strict winner;
/// a tie broken by the reward of the tied models' outputs; equal rewards: lowest index), rewards asked only where models
/// tie, one ChooserSFT row per dev input answered `Model k`, the job §0.8 fixes, the stored payload, a trained model id
/// that is the same for the same fit and differs for another, and clear errors that train nothing.</summary>
public sealed class TrainedRouterFitTests
{
    private static readonly string[] Descriptions = ["knows a", "knows b", "knows c"];

    // An output's reward is the number after its '=' ("o12=0.7" → 0.7).
    private static double RewardAfterEquals(string prompt, string output) =>
        double.Parse(output[(output.IndexOf('=', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static RouterContext Context()
    {
        var context = new RouterContext { Method = "api_trained_router", Seed = 3, RunId = "fit" };
        context.ModelNames.AddRange(["m-a", "m-b", "m-c"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["router_base_model"] = Value.ForString("base"),
                ["reward_model_name"] = Value.ForString("rm"),
                ["model_descriptions"] = Value.ForList([.. Descriptions.Select(Value.ForString)]),
            },
        };
        return context;
    }

    private static DevInput Input(int index, double[] scores, params string[] outputs)
    {
        var input = new DevInput { Index = index, Prompt = $"q{index}" };
        input.Scores.Add(scores);
        input.Outputs.Add(outputs);
        return input;
    }

    // q0: strict winner b. q1: a and c tie, c's output rewarded higher. q2: all tie, equal rewards → a. q3: all wrong, b and
    // c share the best reward → b.
    private static DevInput[] Dev() =>
    [
        Input(0, [0, 1, 0]),
        Input(1, [1, 0, 1], "o10=0.2", "o11=9", "o12=0.7"),
        Input(2, [1, 1, 1], "o20=0.5", "o21=0.5", "o22=0.5"),
        Input(3, [0, 0, 0], "o30=0.1", "o31=0.9", "o32=0.9"),
    ];

    private static DevProfile Profile(IReadOnlyList<DevInput> inputs) =>
        new([.. Enumerable.Range(0, 3).Select(m => (IReadOnlyList<double>)[.. inputs.Select(i => i.Scores[m])])]);

    private static async Task<((System.Text.Json.Nodes.JsonObject Payload, string Artifact) Fit, List<Progress> Progress)> FitAsync(RouterTraining training,
        DevInput[] dev, string routerId = "trained-router-1")
    {
        var log = new ProgressLog();
        var fit = await training.TrainedRouterAsync(Context(), dev, Profile(dev), routerId, log.Add, default);
        return (fit, log.Reports);
    }

    [Fact]
    public async Task The_router_is_ChooserSFT_of_the_base_model_on_the_dev_labels_with_rewards_asked_only_where_models_tie()
    {
        var trainer = new ScriptedRouterTrainer(RewardAfterEquals);
        var ((payload, artifact), progress) = await FitAsync(new RouterTraining(new FingerprintModels(), trainer), Dev());

        Assert.Equal(
            [("rm", "q1", "o10=0.2"), ("rm", "q1", "o12=0.7"), ("rm", "q2", "o20=0.5"), ("rm", "q2", "o21=0.5"), ("rm", "q2", "o22=0.5"),
                ("rm", "q3", "o30=0.1"), ("rm", "q3", "o31=0.9"), ("rm", "q3", "o32=0.9")],
            trainer.Rewards.Order());
        var (job, examples) = Assert.Single(trainer.Jobs);
        Assert.Equal(["Model 2", "Model 3", "Model 1", "Model 2"], examples.Select(e => e.Completion.Text));
        Assert.Equal(Dev().Select(i => UserPrompts.Of(RouterPrompts.TrainedRouter(i.Prompt, 3, Descriptions))), examples.Select(e => e.Prompt));

        var expected = LoraJobs.Create(TrainKind.Sft, TrainingSettings.ChooserSft);
        expected.BaseModel = "base";
        expected.OutputId = job.OutputId;
        expected.CallKey = job.OutputId;
        Assert.Equal(expected, job);
        Assert.Equal((1, 32, 1e-5, 5), (job.Hyper.MicroBatch, job.Hyper.GradAccum, job.Hyper.LearningRate, job.Hyper.Epochs));
        Assert.StartsWith("trained-", job.OutputId, StringComparison.Ordinal);

        Assert.Equal(job.OutputId, artifact);
        Assert.Equal(RouterPayloads.Text(job.OutputId, "trained_router", Descriptions, -1).ToJsonString(), payload.ToJsonString());
        Assert.Equal([(0, 3), (1, 3), (2, 3), (3, 3)], progress.Select(p => (p.Done, p.Total)));
        Assert.All(progress, p => Assert.Equal(ApiCallSites.TrainRouterPhase, p.Phase));
    }

    [Fact]
    public async Task The_trained_model_id_is_the_same_for_the_same_fit_and_differs_for_another_router_or_other_labels()
    {
        var trainer = new ScriptedRouterTrainer(RewardAfterEquals);
        var training = new RouterTraining(new FingerprintModels(), trainer);
        var first = (await FitAsync(training, Dev())).Fit.Artifact;
        Assert.Equal(first, (await FitAsync(training, Dev())).Fit.Artifact);
        Assert.NotEqual(first, (await FitAsync(training, Dev(), "trained-router-2")).Fit.Artifact);
        var relabelled = Dev();
        relabelled[0].Scores[2] = 2;
        Assert.NotEqual(first, (await FitAsync(training, relabelled)).Fit.Artifact);
    }

    [Fact]
    public async Task A_tie_without_outputs_and_an_empty_dev_set_are_refused_naming_the_field_before_anything_is_scored_or_trained()
    {
        var trainer = new ScriptedRouterTrainer(RewardAfterEquals);
        var training = new RouterTraining(new FingerprintModels(), trainer);
        DevInput[] untied = [Input(0, [0, 1, 0]), Input(1, [1, 0, 1], "only one")];
        var tie = await Assert.ThrowsAsync<RpcException>(() => FitAsync(training, untied));
        Assert.Equal(StatusCode.InvalidArgument, tie.StatusCode);
        var violation = Assert.Single(MocoErrors.FieldViolations(tie));
        Assert.Equal("dev_set.inputs.outputs", violation.Field);
        Assert.Contains("dev input 1: models [0, 2] tie", violation.Description, StringComparison.Ordinal);

        var empty = await Assert.ThrowsAsync<RpcException>(() => FitAsync(training, []));
        Assert.Equal("dev_set.inputs", Assert.Single(MocoErrors.FieldViolations(empty)).Field);
        Assert.Empty(trainer.Rewards);
        Assert.Empty(trainer.Jobs);
    }
}
