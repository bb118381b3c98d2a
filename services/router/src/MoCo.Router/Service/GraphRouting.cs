using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Graph;
using MoCo.Router.Store;

namespace MoCo.Router.Service;

/// <summary>
/// Route and Complete for a stored api_graph_routing router (methods-api.md §5 step 6, §0.11): the prompts are embedded
/// with the router's embedding model as the fitting run embedded its test items (one Embed call per request), scored
/// against the stored dev graph, and routed to the highest edge score (lowest index on ties); Complete answers with the
/// chosen model. A router's dev-graph pass runs once per process and is reused by every request.
/// </summary>
public sealed class GraphRouting(IRouterModels models, RouterMetrics? metrics = null)
{
    private readonly RouterCalls _calls = new(models, metrics);
    private readonly ConcurrentDictionary<string, Lazy<GraphRouterModel>> _loaded = new(StringComparer.Ordinal);

    /// <summary>One decision per input, in input order; scores are the edge scores.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION when the stored router cannot route (stored by an older version,
    /// or its embedding model now gives vectors of another width).</exception>
    public async Task<IReadOnlyList<(RouteDecision Decision, Usage Usage)>> RouteAsync(RouterContext context, StoredRouter router,
        IReadOnlyList<RouteInput> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(inputs);
        var network = Load(router);
        if (inputs.Count == 0)
        {
            return [];
        }
        var embedder = (string)router.Payload["embedding_model"]!;
        var vectors = await _calls.EmbedAsync(router.Method, embedder, [.. inputs.Select(i => i.Prompt)], $"{context.RunId}/embed", cancellationToken)
            .ConfigureAwait(false);
        if (vectors.FirstOrDefault(v => v.Length != network.Graph.Task.Length) is { } odd)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"router \"{router.RouterId}\" cannot score {embedder}'s embeddings",
                new Problem("router_id", "EMBEDDING_MISMATCH",
                    $"{embedder} now embeds into {odd.Length} values and the router was fitted on {network.Graph.Task.Length}",
                    new Dictionary<string, string> { ["fix"] = "serve the embedding model the router was fitted with, or fit the router again" }));
        }
        return [.. inputs.Select((input, k) =>
        {
            var scores = network.Scores(vectors[k]);
            var chosen = GraphRouterModel.Route(scores);
            _calls.Decision(router.Method, router.ModelNames[chosen]);
            var decision = new RouteDecision { Index = input.Index, ModelIndex = chosen };
            decision.Scores.AddRange(scores);
            return (decision, new Usage());
        })];
    }

    /// <summary>Route then answer, items as they finish; each item reports the model chosen and the edge scores, as the
    /// run's items.jsonl does.</summary>
    public async IAsyncEnumerable<CompletedItem> CompleteAsync(RouterContext context, StoredRouter router, IReadOnlyList<RouteInput> inputs,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var decisions = await RouteAsync(context, router, inputs, cancellationToken).ConfigureAwait(false);
        await foreach (var item in _calls.AnswerAsync(context, router, inputs, decisions, d => new Struct
        {
            Fields =
            {
                ["selected_model"] = Value.ForString(router.ModelNames[d.ModelIndex]),
                ["edge_scores"] = Value.ForList([.. d.Scores.Select(Value.ForNumber)]),
            },
        }, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private GraphRouterModel Load(StoredRouter router)
    {
        try
        {
            return _loaded.GetOrAdd(router.RouterId, _ => new Lazy<GraphRouterModel>(() => GraphRouterModel.FromJson(router.Payload))).Value;
        }
        catch (InvalidDataException e)
        {
            _loaded.TryRemove(router.RouterId, out _);
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"router \"{router.RouterId}\" cannot route",
                new Problem("router_id", "ROUTER_STALE", e.Message,
                    new Dictionary<string, string> { ["fix"] = "run api_graph_routing again (`moco run`) and send the new router_id" }));
        }
    }
}
