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
/// fit is answered by the trained model without training again; a set nowhere on the path is refused naming it.</summary>
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
    public async Task A_training_set_nowhere_on_the_path_and_the_task_itself_are_refused_naming_the_field()
    {
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Fit().FitAsync(Context("nope"), [_data], "collm-2", new ProgressLog().Add, default));
        var violation = Assert.Single(MoCo.Hosting.Errors.MocoErrors.FieldViolations(missing));
        Assert.Equal("context.hyperparameters.training_dataset_name", violation.Field);
        Assert.Contains(Path.Combine(_data, "nope", "train.jsonl"), violation.Description, StringComparison.Ordinal);

        var own = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Fit().FitAsync(Context("agieval_tiny"), [_data], "collm-3", new ProgressLog().Add, default));
        Assert.Contains("moco run", own.Status.Detail, StringComparison.Ordinal);
    }
}
