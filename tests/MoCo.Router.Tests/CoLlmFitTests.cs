using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Router.Decoding;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Testing.Inference;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's api_collm fit (<see cref="CoLlmFit"/>, methods-api.md §8) on the real inference service with the
/// smoke models (random weights sharing one byte tokenizer): the first training_num rows of a named set from the request's
/// folder are scored by both models and train the generator's deferral entry, which is its last vocabulary id; the same
/// fit is answered by the trained model without training again; the task's own dev split trains on its items' gold in the form the
/// prompts ask for; a set nowhere on the path, or the task's test split, is refused naming the field.</summary>
public sealed class CoLlmFitTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("moco-collm-fit-").FullName;
    private InferenceHost _host = null!;
    private GrpcDecodeBackend _decoding = null!;

    public async Task InitializeAsync()
    {
        _host = await InferenceHost.StartAsync(GoldenModels.SmokeModels, ("Moco:Inference:TrainedModelsDirectory", Path.Combine(_data, "trained")));
        _decoding = new GrpcDecodeBackend(_host.Client);
        Directory.CreateDirectory(Path.Combine(_data, "sums"));
        File.WriteAllLines(Path.Combine(_data, "sums", "train.jsonl"),
            ["""{"problem": "What is 2 + 3?", "solution": "2 + 3 = 5. The answer is 5."}""",
                """{"problem": "What is 4 + 4?", "solution": "4 + 4 = 8. The answer is 8."}""",
                """{"problem": "What is 1 + 6?", "solution": "The answer is 7."}"""]);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private CoLlmFit Fit() => new(new GrpcRouterModels(_host.Client), _decoding, new GrpcRouterTrainer(_host.Client));

    private static RouterContext Context(string dataset)
    {
        var context = new RouterContext { Method = "api_collm", Seed = 1, RunId = "fit", Task = "agieval_tiny" };
        context.ModelNames.AddRange(["smoke-llama", "smoke-qwen2"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["training_dataset_name"] = Value.ForString(dataset),
                ["training_num"] = Value.ForNumber(2),
                ["max_sequence_length"] = Value.ForNumber(512),
            },
        };
        return context;
    }

    [Fact]
    public async Task The_generator_learns_its_deferral_entry_from_the_named_sets_first_rows_and_a_refit_reuses_it()
    {
        var log = new ProgressLog();
        var (payload, artifact) = await Fit().FitAsync(Context("sums"), [_data], "collm-1", log.Add, default);

        Assert.StartsWith("trained-", artifact, StringComparison.Ordinal);
        Assert.Equal(("collm", artifact), ((string)payload["kind"]!, (string)payload["generator"]!));
        // The byte tokenizer has 256 entries: the added one is the last id, and the trained generator tokenises the entry to it.
        Assert.Equal(256, (int)payload["defer_id"]!);
        var entry = await _decoding.TokenizeAsync(artifact, CoLlmDeferralData.DeferToken, special: false, default);
        Assert.Equal(256, Assert.Single(entry));
        Assert.Equal((ApiCallSites.CoLlmScorePhase, 4, 4), (log.Reports[0].Phase, log.Reports[0].Done, log.Reports[0].Total));
        var steps = log.Reports.Skip(1).ToList();
        Assert.All(steps, p => Assert.Equal(ApiCallSites.CoLlmTrainPhase, p.Phase));
        Assert.Equal(Enumerable.Range(0, steps[0].Total + 1), steps.Select(p => p.Done));

        var again = new ProgressLog();
        Assert.Equal(artifact, (await Fit().FitAsync(Context("sums"), [_data], "collm-1", again.Add, default)).Artifact);
        Assert.DoesNotContain(again.Reports, p => p.Phase == ApiCallSites.CoLlmTrainPhase);
    }

    [Fact]
    public async Task A_training_set_nowhere_on_the_path_and_the_tasks_test_split_are_refused_naming_the_field()
    {
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Fit().FitAsync(Context("nope"), [_data], "collm-2", new ProgressLog().Add, default));
        var violation = Assert.Single(MoCo.Hosting.Errors.MocoErrors.FieldViolations(missing));
        Assert.Equal("context.hyperparameters.training_dataset_name", violation.Field);
        Assert.Contains(Path.Combine(_data, "nope", "train.jsonl"), violation.Description, StringComparison.Ordinal);

        // The task itself trains on its dev split only (its default split, "train", is refused).
        var own = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Fit().FitAsync(Context("agieval_tiny"), [_data], "collm-3", new ProgressLog().Add, default));
        Assert.Equal("context.hyperparameters.training_split", Assert.Single(MoCo.Hosting.Errors.MocoErrors.FieldViolations(own)).Field);
    }

    // The task's dev split as the evaluator gives it with gold: item 0 has an exact-match answer, item 1 none.
    private sealed class TaskDev : IRouterDevData
    {
        public List<LoadDatasetRequest> Loads { get; } = [];

        public Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(LoadDatasetRequest dataset, CancellationToken cancellationToken)
        {
            Loads.Add(dataset.Clone());
            return Task.FromResult<(DatasetInfo, IReadOnlyList<DatasetItem>)>((new DatasetInfo { ViewId = "dev", EffectiveType = "exact_match" },
                [new DatasetItem { Index = 0, Prompt = "What is 2 + 3?", Gold = new Gold { Output = Value.ForString("5") } },
                    new DatasetItem { Index = 1, Prompt = "Name a colour." }]));
        }

        public Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(EvaluateHeader header, IReadOnlyList<(int Index, string Output)> outputs,
            CancellationToken cancellationToken) => throw new InvalidOperationException("training scores nothing on the evaluator");
    }

    // The real trainer, recording each job's examples.
    private sealed class RecordingTrainer(IRouterTrainer inner) : IRouterTrainer
    {
        public List<IReadOnlyList<TrainExample>> Jobs { get; } = [];

        public Task<double> RewardAsync(string model, string prompt, string output, string callKey, CancellationToken cancellationToken) =>
            inner.RewardAsync(model, prompt, output, callKey, cancellationToken);

        public Task<ContinuationScore> ScoreContinuationAsync(string model, string system, string user, string continuation, string callKey,
            CancellationToken cancellationToken) => inner.ScoreContinuationAsync(model, system, user, continuation, callKey, cancellationToken);

        public Task<string> TrainAsync(TrainJob job, IReadOnlyList<TrainExample> examples, Func<TrainResponse, Task> report, CancellationToken cancellationToken)
        {
            Jobs.Add(examples);
            return inner.TrainAsync(job, examples, report, cancellationToken);
        }
    }

    [Fact]
    public async Task The_tasks_own_dev_split_trains_on_each_items_gold_in_the_form_its_prompt_asks_for()
    {
        var (dev, trainer) = (new TaskDev(), new RecordingTrainer(new GrpcRouterTrainer(_host.Client)));
        var context = Context("agieval_tiny");
        context.TaskType = "exact_match";
        context.Hyperparameters.Fields["training_split"] = Value.ForString("dev");
        var (payload, _) = await new CoLlmFit(new GrpcRouterModels(_host.Client), _decoding, trainer, dev).FitAsync(context, [_data], "collm-4",
            new ProgressLog().Add, default);

        var load = Assert.Single(dev.Loads);
        Assert.Equal(("agieval_tiny", Split.Dev, true, "exact_match", _data), (load.Task, load.Split, load.IncludeGold, load.TaskType, Assert.Single(load.DataDirs)));
        // Item 1 has no gold, so one row trains: its completion is the assistant turn holding the boxed answer.
        var example = Assert.Single(Assert.Single(trainer.Jobs));
        Assert.Contains("\\box{5}", example.Deferral.Completion.Text, StringComparison.Ordinal);
        Assert.Equal("Problem: What is 2 + 3?", example.Prompt.Chat.Messages[1].Content);
        Assert.Equal(256, (int)payload["defer_id"]!);
    }
}
