using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Outbound;
using MoCo.Router.Decoding;
using MoCo.Router.Service;
using MoCo.Router.Store;
using MoCo.Router.Training;

namespace MoCo.Router;

/// <summary>The router service as a hostable module: moco.v1.RouterService on the default ports of contracts.md §9,
/// configured from <c>Moco:Router</c> (<see cref="RouterOptions"/>): the router store, and the inference service the
/// routers generate on.</summary>
public sealed class RouterModule() : GrpcServiceModule<RouterGrpcService>(
    "router", RouterService.Descriptor.FullName, ServicePorts.Router, RouterCapabilities.Pending)
{
    /// <inheritdoc/>
    protected override void ConfigureModule(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RouterOptions.Section).Get<RouterOptions>() ?? new RouterOptions();
        foreach (var (key, address, what) in new[] { ("InferenceAddress", options.InferenceAddress, "inference"), ("EvaluatorAddress", options.EvaluatorAddress, "evaluator") })
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new MocoConfigurationException(RouterOptions.Section + ":" + key, $"\"{address}\" is not an http:// or https:// URL",
                    $"give the {what} service's (or the gateway's) gRPC address, e.g. http://127.0.0.1:{(what == "inference" ? ServicePorts.Inference : ServicePorts.Evaluator).Grpc}");
            }
        }
        builder.Services.AddSingleton(_ => options.StoreDirectory is { Length: > 0 } dir
            ? new RouterStore(dir)
            : RouterStore.InArtifacts(new MocoEnvironment().ArtifactsDirectory));
        // Registered on its own so the host disposes the channel.
        builder.Services.AddSingleton(s => s.GetRequiredService<OutboundChannels>().Create(options.InferenceAddress));
        // Models a fit trains are pinned to the replica that trained them (contracts.md §9), for Route and Complete, and
        // trained again when that replica is gone: the fits of this process stay registered while it runs...
        builder.Services.AddSingleton<ReplicaAffinity>();
        builder.Services.AddSingleton(s => s.GetRequiredService<ReplicaAffinity>().OpenScope());
        builder.Services.AddSingleton(s => new InferenceService.InferenceServiceClient(s.GetRequiredService<ReplicaAffinity>().Intercept(s.GetRequiredService<GrpcChannel>())));
        builder.Services.AddSingleton<IRouterModels>(s => new GrpcRouterModels(s.GetRequiredService<InferenceService.InferenceServiceClient>()));
        // ... and a restarted router registers the fits of earlier processes from the store's journal as it starts.
        builder.Services.AddSingleton(s => new GrpcRouterTrainer(s.GetRequiredService<InferenceService.InferenceServiceClient>(),
            s.GetRequiredService<RebuildScope>(), new TrainJournal(s.GetRequiredService<RouterStore>().Directory)));
        builder.Services.AddSingleton<IRouterTrainer>(s => s.GetRequiredService<GrpcRouterTrainer>());
        builder.Services.AddHostedService<JournaledRebuilds>();
        builder.Services.AddSingleton<RouterMetrics>();
        builder.Services.AddSingleton<TextRouting>();
        builder.Services.AddSingleton<GraphRouting>();
        builder.Services.AddSingleton<CascadeCompletion>();
        builder.Services.AddSingleton<SwitchCompletion>();
        builder.Services.AddSingleton<RouterTraining>();
        builder.Services.AddSingleton<IRouterDevData>(s => new GrpcRouterDevData(s.GetRequiredService<OutboundChannels>().Create(options.EvaluatorAddress)));
        builder.Services.AddSingleton<DevPass>();
        builder.Services.AddSingleton<NudgingFit>();
        builder.Services.AddSingleton<CoLlmFit>();
        builder.Services.AddSingleton(_ => options.MentorMlpDirectory is { Length: > 0 } judges
            ? new MentorMlpRegistry(judges)
            : MentorMlpRegistry.InArtifacts(new MocoEnvironment().ArtifactsDirectory));
        builder.Services.AddSingleton<TokenLevelCompletion>();
        builder.Services.AddSingleton<IDecodeBackend>(s => new GrpcDecodeBackend(s.GetRequiredService<InferenceService.InferenceServiceClient>()));
    }
}
