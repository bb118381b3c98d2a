using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Routing;
using MoCo.Router.Service;
using MoCo.Router.Store;

namespace MoCo.Router;

/// <summary>
/// moco.v1.RouterService (contracts.md §5): stored, versioned routers (<see cref="RouterStore"/>) listed by
/// ListRouters and served by id — TrainRouter fits every api_* method's router: api_prompt_routing, api_trained_router,
/// api_switch_generation, api_graph_routing and api_cascade (<see cref="RouterTraining"/>) from an inline dev set or a dev
/// view the router profiles itself (<see cref="DevPass"/>), api_nudging's search (<see cref="NudgingFit"/>), api_collm's
/// deferral generator (<see cref="CoLlmFit"/>) and api_mentor_collab's nothing, Route picks a model per prompt (text routers:
/// <see cref="TextRouting"/>, graph routers: <see cref="GraphRouting"/>), Complete routes and answers (api_cascade:
/// <see cref="CascadeCompletion"/>'s level loop, api_switch_generation: <see cref="SwitchCompletion"/>'s patch loop, with a stored selector or
/// the request's); Complete also decodes api_nudging and api_mentor_collab, which need no
/// router (<see cref="TokenLevelCompletion"/>; a stored api_nudging router, <see cref="NudgingFit"/>'s search, gives its
/// gamma and nudger). Routers that runs fit (`moco run`) land in the same store, so a
/// router trained in a run is deployable behind the gateway. Requests, errors, decisions and model calls are counted
/// in <see cref="RouterMetrics"/>.
/// </summary>
public sealed class RouterGrpcService(RouterStore store, TextRouting routing, GraphRouting graphs, CascadeCompletion cascades, SwitchCompletion switching,
    RouterTraining training, DevPass devPass, NudgingFit nudging, CoLlmFit coLlm, TokenLevelCompletion tokenLevel, RouterMetrics metrics)
    : RouterService.RouterServiceBase
{
    /// <inheritdoc/>
    public override Task<RouteResponse> Route(RouteRequest request, ServerCallContext context) =>
        MeteredAsync("Route", request.Context, async () =>
        {
            var router = Resolve("Route", request.Context, request.RouterId);
            var response = new RouteResponse();
            var decisions = router.Method == "api_graph_routing"
                ? await graphs.RouteAsync(request.Context, router, request.Inputs, context.CancellationToken).ConfigureAwait(false)
                : await routing.RouteAsync(request.Context, router, request.Inputs, context.CancellationToken).ConfigureAwait(false);
            response.Decisions.AddRange(decisions.Select(d => d.Decision));
            return response;
        });

    /// <inheritdoc/>
    public override Task<ListRoutersResponse> ListRouters(ListRoutersRequest request, ServerCallContext context)
    {
        var response = new ListRoutersResponse();
        response.Routers.AddRange(store.List(request.Method).Select(Summary));
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public override Task Complete(CompleteRequest request, IServerStreamWriter<CompleteResponse> responseStream, ServerCallContext context) =>
        MeteredAsync("Complete", request.Context, async () =>
        {
            await CompleteAsync(request, responseStream, context).ConfigureAwait(false);
            return true;
        });

    /// <inheritdoc/>
    public override Task TrainRouter(TrainRouterRequest request, IServerStreamWriter<TrainRouterResponse> responseStream, ServerCallContext context) =>
        MeteredAsync("TrainRouter", request.Context, async () =>
        {
            await TrainAsync(request, responseStream, context.CancellationToken).ConfigureAwait(false);
            return true;
        });

    // Counts the request, and its failure by status code (an exception that is not an RpcException reaches the client as
    // INTERNAL, or CANCELLED when the client went away).
    private async Task<T> MeteredAsync<T>(string rpc, RouterContext? context, Func<Task<T>> call)
    {
        // Only known method ids become tag values: a client's free text must not grow the metric series.
        var method = context is not null && RouterMethods.All.Contains(context.Method) ? context.Method : "unknown";
        metrics.Request(rpc, method);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            metrics.Error(rpc, method, e switch
            {
                RpcException r => r.StatusCode,
                OperationCanceledException => StatusCode.Cancelled,
                _ => StatusCode.Internal,
            });
            throw;
        }
    }

    private async Task CompleteAsync(CompleteRequest request, IServerStreamWriter<CompleteResponse> responseStream, ServerCallContext context)
    {
        IAsyncEnumerable<CompletedItem> items;
        if (TokenLevelCompletion.Methods.Contains(CheckContext(request.Context)))
        {
            // api_nudging needs no router; a stored one (TrainRouter's search) gives its (gamma, nudger).
            var router = request.RouterId is null || request.Context.Method != "api_nudging" ? null : Resolve("Complete", request.Context, request.RouterId);
            items = tokenLevel.CompleteAsync(request.Context, request.Inputs, router?.Payload, context.CancellationToken);
        }
        else if (request.Context.Method == "api_switch_generation" && request.RouterId is null)
        {
            // A given selector needs no fitted router (methods-api.md §3: selector_model_name).
            items = switching.CompleteAsync(request.Context, null, request.Inputs, context.CancellationToken);
        }
        else
        {
            var router = Resolve("Complete", request.Context, request.RouterId);
            items = router.Method switch
            {
                "api_collm" => tokenLevel.CoLlmAsync(request.Context, router, request.Inputs, context.CancellationToken),
                "api_graph_routing" => graphs.CompleteAsync(request.Context, router, request.Inputs, context.CancellationToken),
                "api_cascade" => cascades.CompleteAsync(request.Context, router, request.Inputs, context.CancellationToken),
                "api_switch_generation" => switching.CompleteAsync(request.Context, router, request.Inputs, context.CancellationToken),
                _ => routing.CompleteAsync(request.Context, router, request.Inputs, context.CancellationToken),
            };
        }
        var done = 0;
        await foreach (var item in items.ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new CompleteResponse { Item = item }).ConfigureAwait(false);
            await responseStream.WriteAsync(new CompleteResponse
            {
                Progress = new Progress { Phase = request.Context.Phase, Done = ++done, Total = request.Inputs.Count },
            }).ConfigureAwait(false);
        }
    }

    private async Task TrainAsync(TrainRouterRequest request, IServerStreamWriter<TrainRouterResponse> responseStream, CancellationToken cancellationToken)
    {
        var method = CheckContext(request.Context);
        if (request.DevCase == TrainRouterRequest.DevOneofCase.None && !RouterMethods.DevOptional.Contains(method))
        {
            throw MocoErrors.InvalidArgument(new Problem("dev", "REQUIRED", $"{method} fits on dev data, and the request sends none",
                new Dictionary<string, string> { ["fix"] = "send dev_set (dev prompts, with per-model scores where the method learns from them) or dev_view (a dev view the router profiles itself)" }));
        }
        if (string.IsNullOrWhiteSpace(request.CallKey))
        {
            throw MocoErrors.InvalidArgument(new Problem("call_key", "REQUIRED", "is empty",
                new Dictionary<string, string> { ["fix"] = "send the fitting call's key; the same key returns the same router" }));
        }
        // A key already fitted returns its router without fitting again (a dev pass, a graph network, a calibration or a
        // training job is costly).
        var routerId = RouterStore.IdOf(method, request.CallKey);
        var router = store.Find(routerId);
        var fitted = 0;
        if (router is null)
        {
            (var payload, var artifact, fitted) = await FitAsync(request, method, routerId,
                progress => responseStream.WriteAsync(new TrainRouterResponse { Progress = progress }, cancellationToken), cancellationToken).ConfigureAwait(false);
            router = store.Save(method, [.. request.Context.ModelNames], request.Context.RunId, request.CallKey, payload, artifact);
        }
        await responseStream.WriteAsync(new TrainRouterResponse
        {
            Progress = new Progress { Phase = "dev · fit", Done = fitted, Total = fitted },
        }, cancellationToken).ConfigureAwait(false);
        await responseStream.WriteAsync(new TrainRouterResponse
        {
            Done = new TrainRouterDone { RouterId = router.RouterId, Version = router.Version, Artifact = router.Artifact },
        }, cancellationToken).ConfigureAwait(false);
    }

    // The method's fit: its payload, its artifact (a trained model's id; null = the router's own file) and how many dev
    // inputs it fitted on (none for RouterMethods.DevOptional).
    private async Task<(System.Text.Json.Nodes.JsonObject Payload, string? Artifact, int Fitted)> FitAsync(TrainRouterRequest request, string method,
        string routerId, Func<Progress, Task> report, CancellationToken cancellationToken)
    {
        var context = request.Context;
        switch (method)
        {
            case "api_collm":
                var (generator, trained) = await coLlm.FitAsync(context, request.DataDirs, routerId, report, cancellationToken).ConfigureAwait(false);
                return (generator, trained, 0);
            case "api_mentor_collab":
                return (tokenLevel.MentorRouter(context), null, 0);
            case "api_nudging":
                var view = request.DevCase == TrainRouterRequest.DevOneofCase.DevView ? request.DevView : null;
                return (await nudging.FitAsync(context, view, report, cancellationToken).ConfigureAwait(false), null, 0);
        }
        IReadOnlyList<DevInput> inputs = request.DevCase == TrainRouterRequest.DevOneofCase.DevSet
            ? request.DevSet.Inputs
            : await devPass.InputsAsync(context, request.DevView, RouterMethods.Profiled.Contains(method), report, cancellationToken).ConfigureAwait(false);
        var models = context.ModelNames.Count;
        var (payload, artifact) = method switch
        {
            "api_cascade" => (await training.CascadeAsync(context, inputs, cancellationToken).ConfigureAwait(false), null),
            "api_graph_routing" => (await training.GraphRoutingAsync(context, inputs, Profile(inputs, models), cancellationToken).ConfigureAwait(false), null),
            "api_trained_router" => await training.TrainedRouterAsync(context, inputs, Profile(inputs, models), routerId, report, cancellationToken).ConfigureAwait(false),
            "api_switch_generation" => await training.SelectorAsync(context, inputs, routerId, report, cancellationToken).ConfigureAwait(false),
            _ => (RouterTraining.PromptRouting(context, Profile(inputs, models)), (string?)null),
        };
        return (payload, artifact, inputs.Count);
    }

    // S[m][j] from the dev set: one score per model for every input.
    private static DevProfile Profile(IReadOnlyList<DevInput> inputs, int models)
    {
        var bad = inputs.FirstOrDefault(i => i.Scores.Count != models);
        if (bad is not null)
        {
            throw MocoErrors.InvalidArgument(new Problem("dev_set.inputs.scores", "WRONG_LENGTH",
                $"dev input {bad.Index} has {bad.Scores.Count} scores for {models} models",
                new Dictionary<string, string> { ["fix"] = "send one score per model, in model_names order (NaN = unscorable)" }));
        }
        return new DevProfile([.. Enumerable.Range(0, models).Select(m => (IReadOnlyList<double>)[.. inputs.Select(i => i.Scores[m])])]);
    }

    // The stored router a Route or Complete names, checked against the request's method and models.
    private StoredRouter Resolve(string rpc, RouterContext? context, string? routerId)
    {
        var method = CheckContext(context);
        if (!(rpc == "Complete" ? RouterMethods.Completable : RouterMethods.Routable).Contains(method))
        {
            throw RouterMethods.NotServed(rpc, method);
        }
        if (routerId is null)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"{method} needs a fitted router",
                new Problem("router_id", "ROUTER_REQUIRED", "is unset",
                    new Dictionary<string, string> { ["fix"] = "fit one with TrainRouter (or `moco run`) and send its router_id; ListRouters lists them" }));
        }
        var router = store.Find(routerId) ?? throw MocoErrors.NotFound("router_id", "ROUTER_NOT_FOUND", $"router \"{routerId}\"",
            "send an id ListRouters returns");
        if (router.Method != method || !router.ModelNames.SequenceEqual(context!.ModelNames, StringComparer.Ordinal))
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"router \"{routerId}\" does not fit the request",
                new Problem("context", "ROUTER_MISMATCH",
                    $"it routes {router.Method} over [{string.Join(", ", router.ModelNames)}], the request asks {method} over [{string.Join(", ", context!.ModelNames)}]",
                    new Dictionary<string, string> { ["fix"] = "send the router's method and model_names (ListRouters shows them)" }));
        }
        return router;
    }

    private static string CheckContext(RouterContext? context)
    {
        if (context is null || !RouterMethods.All.Contains(context.Method))
        {
            throw MocoErrors.InvalidArgument(new Problem("context.method", "UNKNOWN_METHOD", $"\"{context?.Method}\" is not an api_* method",
                new Dictionary<string, string> { ["fix"] = "use one of " + string.Join(", ", RouterMethods.All.Order()) }));
        }
        if (context.ModelNames.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.model_names", "REQUIRED", "is empty",
                new Dictionary<string, string> { ["fix"] = "send the config's model_names" }));
        }
        return context.Method;
    }

    private static RouterSummary Summary(StoredRouter r)
    {
        var summary = new RouterSummary
        {
            RouterId = r.RouterId,
            Method = r.Method,
            Version = r.Version,
            Artifact = r.Artifact,
            RunId = r.RunId,
            CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            CallKey = r.CallKey,
        };
        summary.ModelNames.AddRange(r.ModelNames);
        return summary;
    }
}
