using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Outbound;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator;

/// <summary>The orchestrator service as a hostable module: moco.v1.OrchestratorService on the default ports of
/// contracts.md §9, configured from <c>Moco:Orchestrator</c> (<see cref="OrchestratorOptions"/>): a run engine over the
/// run store, calling the inference and evaluator services at their configured addresses.</summary>
public sealed class OrchestratorModule() : GrpcServiceModule<OrchestratorGrpcService>(
    "orchestrator", OrchestratorService.Descriptor.FullName, ServicePorts.Orchestrator, OrchestratorCapabilities.Pending)
{
    private const int MaxMessageBytes = 8 * 1024 * 1024;

    /// <inheritdoc/>
    protected override void ConfigureModule(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        foreach (var (key, address) in new[] { ("InferenceAddress", options.InferenceAddress), ("EvaluatorAddress", options.EvaluatorAddress) })
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new MocoConfigurationException($"{OrchestratorOptions.Section}:{key}", $"\"{address}\" is not an http:// or https:// URL",
                    "give the service's (or the gateway's) gRPC address, e.g. http://127.0.0.1:50051");
            }
        }
        var environment = new MocoEnvironment();
        builder.Services.AddSingleton(options);
        // Opened at host start: a store that cannot be opened is an environment error before anything is served.
        builder.Services.AddSingleton<IRunStore>(_ => RunStores.OpenAsync(options.RunStore ?? environment.RunStore).GetAwaiter().GetResult());
        builder.Services.AddSingleton(services =>
        {
            var outbound = services.GetRequiredService<OutboundChannels>();
            return new ServiceChannels(Channel(outbound, options.InferenceAddress), Channel(outbound, options.EvaluatorAddress));
        });
        builder.Services.AddSingleton(services =>
        {
            var channels = services.GetRequiredService<ServiceChannels>();
            var run = RunServices.Over(channels.Inference, channels.Evaluator);
            return new RunEngine(services.GetRequiredService<IRunStore>(), run,
                new RunEnvironment([.. options.DataDirectories, .. environment.DataDirectories], null) { Mode = "server" }, MethodRegistry.Default);
        });
    }

    private static GrpcChannel Channel(OutboundChannels outbound, string address) =>
        outbound.Create(address, new GrpcChannelOptions { MaxReceiveMessageSize = MaxMessageBytes, MaxSendMessageSize = MaxMessageBytes });

    /// <summary>The channels the engine's clients share; the host disposes them.</summary>
    internal sealed record ServiceChannels(GrpcChannel Inference, GrpcChannel Evaluator) : IDisposable
    {
        public void Dispose()
        {
            Inference.Dispose();
            Evaluator.Dispose();
        }
    }
}
