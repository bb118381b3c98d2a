using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Randomness;
using MoCo.Router.Routing;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's dev pass over a dev_view (<see cref="DevPass"/>) with scripted models and evaluator: the view is
/// loaded without gold, every model answers every dev prompt sampled with the seed a run gives that call, each model's
/// answers are scored on the loaded view, and the result is the dev set a caller would send; methods that read only
/// prompts generate nothing; views the router cannot fit on are refused before any call.</summary>
public sealed class DevPassTests
{
    private sealed class Models : IRouterModels
    {
        public ConcurrentQueue<(string Model, string Prompt, ulong Seed)> Generations { get; } = new();

        public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

        public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
            CancellationToken cancellationToken)
        {
            Generations.Enqueue((model, prompt, seed));
            return Task.FromResult(new RouterGeneration($"{model} on {prompt}", new Usage()));
        }

        public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the dev pass embeds nothing");
    }

    // Items 4, 7 and 9 of the split; m-b answers item 7 right, m-a the others, and m-a's answer to item 9 is unscorable.
    private sealed class Evaluator : IRouterDevData
    {
        public List<LoadDatasetRequest> Loads { get; } = [];

        public Split Split { get; init; } = Split.Dev;

        public ConcurrentQueue<EvaluateHeader> Headers { get; } = new();

        public Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(LoadDatasetRequest dataset, CancellationToken cancellationToken)
        {
            Loads.Add(dataset.Clone());
            return Task.FromResult<(DatasetInfo, IReadOnlyList<DatasetItem>)>((new DatasetInfo { ViewId = "view-1", Split = Split },
                [new DatasetItem { Index = 4, Prompt = "p4" }, new DatasetItem { Index = 7, Prompt = "p7" }, new DatasetItem { Index = 9, Prompt = "p9" }]));
        }

        public Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(EvaluateHeader header, IReadOnlyList<(int Index, string Output)> outputs,
            CancellationToken cancellationToken)
        {
            Headers.Enqueue(header.Clone());
            IReadOnlyList<double> scores = [.. outputs.Select(o => o switch
            {
                (9, "m-a on p9") => double.NaN,
                (7, var text) => text.StartsWith("m-b", StringComparison.Ordinal) ? 1.0 : 0.0,
                (_, var text) => text.StartsWith("m-a", StringComparison.Ordinal) ? 1.0 : 0.0,
            })];
            return Task.FromResult((scores, scores.Where(s => !double.IsNaN(s)).DefaultIfEmpty().Average()));
        }
    }

    private static RouterContext Context(Compat compat = Compat.Moco)
    {
        var context = new RouterContext { Method = "api_prompt_routing", Seed = 11, RunId = "fit", Compat = compat };
        context.ModelNames.AddRange(["m-a", "m-b"]);
        context.Hyperparameters = new Struct { Fields = { ["temperature"] = Value.ForNumber(0.7) } };
        return context;
    }

    private static EvaluateHeader View(Split split = Split.Dev, Compat compat = Compat.Moco) => new()
    {
        Dataset = new LoadDatasetRequest { Task = "toy", Split = split, IncludeGold = true, Limit = 3 },
        Compat = compat,
        InputKind = InputKind.Raw,
        RunId = "fit",
    };

    private static async Task<(IReadOnlyList<DevInput> Inputs, List<Progress> Progress)> RunAsync(DevPass pass, RouterContext context, EvaluateHeader view,
        bool profile)
    {
        var log = new ProgressLog();
        var inputs = await pass.InputsAsync(context, view, profile, log.Add, default);
        return (inputs, log.Reports);
    }

    [Fact]
    public async Task Every_model_answers_every_dev_prompt_with_the_runs_seed_and_is_scored_on_the_loaded_view()
    {
        var (models, evaluator) = (new Models(), new Evaluator());
        var (inputs, progress) = await RunAsync(new DevPass(models, evaluator), Context(), View(), profile: true);

        var load = Assert.Single(evaluator.Loads);
        Assert.Equal(new LoadDatasetRequest { Task = "toy", Split = Split.Dev, IncludeGold = false, Limit = 3 }, load);
        Assert.Equal([4, 7, 9], inputs.Select(i => i.Index));
        Assert.Equal(["p4", "p7", "p9"], inputs.Select(i => i.Prompt));
        Assert.Equal([["m-a on p4", "m-b on p4"], ["m-a on p7", "m-b on p7"], ["m-a on p9", "m-b on p9"]], inputs.Select(i => i.Outputs.ToArray()));
        Assert.Equal([[1.0, 0.0], [0.0, 1.0], [double.NaN, 0.0]], inputs.Select(i => i.Scores.ToArray()));

        // The seed of model m's call on dev item j is the one a run's DevProfile draws with.
        var expected = new[] { "m-a", "m-b" }.SelectMany((model, m) => new[] { 4, 7, 9 }.Select(j => (model, $"p{j}",
            CallSeeds.Of(11, "api_prompt_routing", ApiCallSites.DevGeneratePhase, ApiCallSites.ModelRole(m), "fp:" + model, $"dev/{j}", 0))));
        Assert.Equal(expected.Order(), models.Generations.Order());
        Assert.All(evaluator.Headers, h => Assert.Equal((EvaluateHeader.ViewOneofCase.ViewId, "view-1", Compat.Moco, "fit"), (h.ViewCase, h.ViewId, h.Compat, h.RunId)));
        Assert.Equal(2, evaluator.Headers.Count);
        Assert.Equal([(1, 2), (2, 2)], progress.Select(p => (p.Done, p.Total)));
    }

    [Fact]
    public async Task A_view_id_loads_as_itself_without_gold_and_scores_on_that_view()
    {
        var (models, evaluator) = (new Models(), new Evaluator());
        var (inputs, _) = await RunAsync(new DevPass(models, evaluator), Context(), new EvaluateHeader { ViewId = "view-1", RunId = "fit" }, profile: true);
        Assert.Equal(new LoadDatasetRequest { ViewId = "view-1", IncludeGold = false }, Assert.Single(evaluator.Loads));
        Assert.Equal([[1.0, 0.0], [0.0, 1.0], [double.NaN, 0.0]], inputs.Select(i => i.Scores.ToArray()));
        Assert.All(evaluator.Headers, h => Assert.Equal((EvaluateHeader.ViewOneofCase.ViewId, "view-1"), (h.ViewCase, h.ViewId)));
    }

    [Fact]
    public async Task A_view_id_of_another_split_is_refused_once_loaded_before_any_generation()
    {
        var (models, evaluator) = (new Models(), new Evaluator { Split = Split.Test });
        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(new DevPass(models, evaluator), Context(), new EvaluateHeader { ViewId = "view-1" }, profile: true));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("dev_view.view_id", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Single(evaluator.Loads);
        Assert.Empty(models.Generations);
        Assert.Empty(evaluator.Headers);
    }

    [Fact]
    public async Task Methods_that_read_only_prompts_generate_nothing()
    {
        var (models, evaluator) = (new Models(), new Evaluator());
        var (inputs, progress) = await RunAsync(new DevPass(models, evaluator), Context(), View(), profile: false);
        Assert.Equal(["p4", "p7", "p9"], inputs.Select(i => i.Prompt));
        Assert.All(inputs, i => Assert.Empty(i.Scores));
        Assert.Empty(models.Generations);
        Assert.Empty(evaluator.Headers);
        Assert.Empty(progress);
    }

    [Theory]
    [InlineData("no view", "dev_view.view")]
    [InlineData("test", "dev_view.dataset.split")]
    [InlineData("compat", "dev_view.compat")]
    public async Task A_view_the_router_cannot_fit_on_is_refused_naming_the_field_before_any_call(string fault, string field)
    {
        var (models, evaluator) = (new Models(), new Evaluator());
        var view = fault switch
        {
            "no view" => new EvaluateHeader { Compat = Compat.Moco },
            "test" => View(Split.Test),
            _ => View(compat: Compat.Reference),
        };
        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(new DevPass(models, evaluator), Context(), view, profile: true));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Empty(evaluator.Loads);
        Assert.Empty(models.Generations);

        // An unset compat is COMPAT_MOCO on both sides.
        var (unset, _) = await RunAsync(new DevPass(models, evaluator), Context(Compat.Unspecified), View(), profile: false);
        Assert.Equal(3, unset.Count);
    }
}
