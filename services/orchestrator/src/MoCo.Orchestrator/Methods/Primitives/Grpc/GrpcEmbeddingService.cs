using System.Text.Json.Nodes;
using MoCo.Contracts;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>Embed on moco.v1.InferenceService (contracts.md §4): mean pooling, L2-normalised; each call's vectors
/// committed under its call key and read back on replay, like generation.</summary>
public sealed class GrpcEmbeddingService(InferenceService.InferenceServiceClient client, IGenerationBackend models, Engine.ModelAddresses addresses,
    ICallLedger ledger, IRunMeter meter) : IEmbeddingService
{
    /// <inheritdoc/>
    public async Task<Embeddings> EmbedAsync(CallSite site, string itemKey, string model, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        var fingerprint = await models.FingerprintAsync(model, cancellationToken).ConfigureAwait(false);
        var key = CallKeys.Key(site, fingerprint, itemKey, 0, new JsonObject { ["texts"] = new JsonArray([.. texts.Select(t => (JsonNode?)JsonValue.Create(t))]) });
        if (await ledger.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            meter.CallFinished(site.Phase, model, stored.Usage, fromStore: true);
            return Parse(stored.ResultJson);
        }
        var address = addresses.Of(model);
        var request = new EmbedRequest { Model = address, Pooling = Pooling.Mean, Normalize = true, CallKey = key };
        request.Texts.AddRange(texts);
        using var call = client.EmbedAsync(request, RoutingHeaders.For(address), cancellationToken: cancellationToken);
        var response = await call.ResponseAsync.ConfigureAwait(false);
        var result = new JsonObject
        {
            ["vectors"] = new JsonArray([.. response.Vectors.Select(v => (JsonNode)new JsonArray([.. v.Values.Select(x => (JsonNode?)JsonValue.Create((double)x))]))]),
            ["substituted"] = response.Substituted,
        };
        var usage = new CallUsage(0, 0, TimeSpan.Zero, RoutingHeaders.ReplicaOf(await call.ResponseHeadersAsync.ConfigureAwait(false)));
        await ledger.PutAsync(new LedgerEntry(key, site.Phase, "embed", -1, itemKey, 0, result.ToJsonString(), usage, model), cancellationToken).ConfigureAwait(false);
        meter.CallFinished(site.Phase, model, usage, fromStore: false);
        return Parse(result.ToJsonString());
    }

    private static Embeddings Parse(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        return new Embeddings([.. node["vectors"]!.AsArray().Select(v => v!.AsArray().Select(x => (double)x!).ToArray())], (bool)node["substituted"]!);
    }
}
