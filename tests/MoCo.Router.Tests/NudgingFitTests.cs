using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Decoding;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>TrainRouter's api_nudging fit (<see cref="NudgingFit"/>, methods-api.md §1 search) on the real inference
/// service's Decode with the smoke models and a scripted evaluator: every (gamma, nudger) pair decodes every dev prompt
/// exactly as a run decodes its dev item, each pair is scored on the view, the best pair (earliest on ties) is stored
/// with every pair's mean; without a search the configured pair is stored without a call; a search without a dev view
/// is refused naming it.</summary>
public sealed class NudgingFitTests(SmokeDecoding smoke) : IClassFixture<SmokeDecoding>
{
    private GrpcDecodeBackend Backend => smoke.Backend;

    // Two dev prompts; each scoring call answers the next of the scripted means, in pair order.
    private sealed class Evaluator(params double[] means) : IRouterDevData
    {
        private int _calls;

        public ConcurrentQueue<IReadOnlyList<(int Index, string Output)>> Scored { get; } = new();

        public Task<(DatasetInfo Info, IReadOnlyList<DatasetItem> Items)> LoadAsync(LoadDatasetRequest dataset, CancellationToken cancellationToken) =>
            Task.FromResult<(DatasetInfo, IReadOnlyList<DatasetItem>)>((new DatasetInfo { ViewId = "view" },
                [new DatasetItem { Index = 2, Prompt = "Question: what is 2 + 3?" }, new DatasetItem { Index = 5, Prompt = "Name a colour." }]));

        public Task<(IReadOnlyList<double> Scores, double Mean)> ScoreAsync(EvaluateHeader header, IReadOnlyList<(int Index, string Output)> outputs,
            CancellationToken cancellationToken)
        {
            Scored.Enqueue(outputs);
            return Task.FromResult<(IReadOnlyList<double>, double)>(([.. outputs.Select(_ => 0.0)], means[_calls++]));
        }
    }

    private static RouterContext Context(bool search)
    {
        var context = new RouterContext { Method = "api_nudging", Seed = 9, RunId = "fit" };
        context.ModelNames.AddRange(["smoke-llama", "smoke-qwen2"]);
        context.Hyperparameters = new Struct
        {
            Fields =
            {
                ["search_gamma"] = Value.ForBool(search),
                ["gamma"] = Value.ForNumber(0.3),
                ["max_response_length"] = Value.ForNumber(6),
                ["do_sample"] = Value.ForBool(false),
            },
        };
        return context;
    }

    private static EvaluateHeader View() => new() { Dataset = new LoadDatasetRequest { Task = "toy", Split = Split.Dev } };

    private static async Task<(System.Text.Json.Nodes.JsonObject Payload, List<Progress> Progress)> FitAsync(NudgingFit fit, RouterContext context,
        EvaluateHeader? view)
    {
        var log = new ProgressLog();
        var payload = await fit.FitAsync(context, view, log.Add, default);
        return (payload, log.Reports);
    }

    [Fact]
    public async Task The_search_decodes_each_pair_as_a_run_does_and_stores_the_best_pair_earliest_on_ties()
    {
        var evaluator = new Evaluator(0.2, 0.7, 0.7, 0.1);
        var (payload, progress) = await FitAsync(new NudgingFit(Backend, new DevPass(new FingerprintModels(), evaluator)), Context(search: true), View());

        Assert.Equal((0.3, 1), ((double)payload["gamma"]!, (int)payload["nudging_model_id"]!));
        Assert.Equal([0.2, 0.7, 0.7, 0.1], payload["search_dev_scores"]!.AsArray().Select(s => (double)s!));
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.Done));
        var scored = evaluator.Scored.ToList();
        double[] gammas = [0.2, 0.3, 0.4, 0.5];
        for (var i = 0; i < gammas.Length; i++)
        {
            var settings = new NudgingSettings("smoke-llama", "smoke-qwen2", gammas[i], 6, 0.7, false, false);
            var expected = new List<(int, string)>();
            foreach (var (index, prompt) in new[] { (2, "Question: what is 2 + 3?"), (5, "Name a colour.") })
            {
                expected.Add((index, (await Nudging.RunAsync(Backend, settings, prompt, 9, $"dev/{index}", default)).Text));
            }
            Assert.Equal(expected, scored[i]);
        }
    }

    [Fact]
    public async Task Without_a_search_the_configured_pair_is_stored_and_a_search_without_a_dev_view_is_refused()
    {
        var evaluator = new Evaluator();
        var fit = new NudgingFit(Backend, new DevPass(new FingerprintModels(), evaluator));
        var (payload, progress) = await FitAsync(fit, Context(search: false), null);
        Assert.Equal((0.3, 1, 0), ((double)payload["gamma"]!, (int)payload["nudging_model_id"]!, payload["search_dev_scores"]!.AsArray().Count));
        Assert.Empty(progress);
        Assert.Empty(evaluator.Scored);

        var error = await Assert.ThrowsAsync<RpcException>(() => FitAsync(fit, Context(search: true), null));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("dev_view", Assert.Single(MocoErrors.FieldViolations(error)).Field);
    }
}
