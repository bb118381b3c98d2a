using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Hosting.Concurrency;
using MoCo.Orchestrator.Config;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Score on moco.v1.InferenceService (contracts.md §4): log-probs of a continuation after a single-user-turn prompt
/// (continuation mode), or a reward model's logit on a [user, assistant] conversation (classification mode); each result
/// committed under its call key and read back on replay, like generation.</summary>
public sealed class GrpcScoringService(InferenceService.InferenceServiceClient client, IGenerationBackend models, Engine.ModelAddresses addresses,
    ICallLedger ledger, IRunMeter meter, RunConfig config) : IScoringService
{
    /// <inheritdoc/>
    public async Task<IReadOnlyList<ScoreResult>> ScoreAsync(string model, IReadOnlyList<Primitives.ScoreRequest> requests, CancellationToken cancellationToken)
    {
        var fingerprint = await models.FingerprintAsync(model, cancellationToken).ConfigureAwait(false);
        var modelIndex = config.ModelNames.ToList().IndexOf(model);
        return await Bounded.SelectAsync(requests, (int)config.Hyperparameters.Int("batch_size"),
            (request, _) => OneAsync(model, fingerprint, modelIndex, request, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ScoreResult> OneAsync(string model, string fingerprint, int modelIndex, Primitives.ScoreRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["prompt"] = request.Prompt, ["continuation"] = request.Continuation };
        if (request.Reward)
        {
            body["mode"] = "classification";
        }
        if (request.System is { } system)
        {
            body["system"] = system;
        }
        var key = CallKeys.Key(request.Site, fingerprint, request.ItemKey, request.Index, body);
        if (await ledger.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            meter.CallFinished(request.Site.Phase, model, stored.Usage, fromStore: true);
            return Parse(stored.ResultJson, stored.Usage);
        }
        var address = addresses.Of(model);
        var scoreRequest = ScoreCalls.Request(address, request.System, request.Prompt, request.Continuation, request.Reward, key);
        ScoreResponse response;
        string? replica;
        try
        {
            using var call = client.ScoreAsync(scoreRequest, RoutingHeaders.For(address), cancellationToken: cancellationToken);
            response = await call.ResponseAsync.ConfigureAwait(false);
            replica = RoutingHeaders.ReplicaOf(await call.ResponseHeadersAsync.ConfigureAwait(false));
        }
        catch (RpcException e) when (ScoreCalls.PromptTooLong(e))
        {
            // That request fails, the run goes on (methods-text.md §0.3); nothing is stored, so a resume asks again.
            var none = new CallUsage(0, 0, TimeSpan.Zero);
            meter.CallFinished(request.Site.Phase, model, none, fromStore: false);
            return new ScoreResult([], [], double.NegativeInfinity, none, e.Status.Detail);
        }
        var usage = new CallUsage(response.Usage?.PromptTokens ?? 0, response.Usage?.CompletionTokens ?? 0, response.Usage?.Latency?.ToTimeSpan() ?? TimeSpan.Zero,
            replica);
        var result = new JsonObject
        {
            ["logprobs"] = new JsonArray([.. response.Logprobs.Select(v => (JsonNode?)JsonValue.Create((double)v))]),
            ["max_logprobs"] = new JsonArray([.. response.MaxLogprobs.Select(v => (JsonNode?)JsonValue.Create((double)v))]),
            ["value"] = request.Reward ? ScoreCalls.Reward(response, model) : response.SumLogprob,
        };
        await ledger.PutAsync(new LedgerEntry(key, request.Site.Phase, "score", modelIndex, request.ItemKey, request.Index, result.ToJsonString(), usage, model),
            cancellationToken).ConfigureAwait(false);
        meter.CallFinished(request.Site.Phase, model, usage, fromStore: false);
        return Parse(result.ToJsonString(), usage);
    }

    private static ScoreResult Parse(string json, CallUsage usage)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        return new ScoreResult([.. node["logprobs"]!.AsArray().Select(v => (double)v!)], [.. node["max_logprobs"]!.AsArray().Select(v => (double)v!)],
            (double)node["value"]!, usage);
    }
}
