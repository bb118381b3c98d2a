using Grpc.Net.Client;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Cli.Embedded;

/// <summary>
/// What an embedded run talks to: inference and the evaluator hosted in this process, a channel to each, and the run
/// engine over them on the caller's store, so the logs land in the caller's folder (`moco run --embedded`, `moco bench
/// e2e`). Inference is one replica on one device, or, for models placed on several devices, a replica per device
/// behind a loopback gateway (<see cref="EmbeddedCluster.StartReplicasAsync"/>). Disposing closes the channels, then
/// stops the services.
/// </summary>
public sealed class EmbeddedRunServices : IAsyncDisposable
{
    private readonly EmbeddedCluster _cluster;
    private readonly GrpcChannel _inference;
    private readonly GrpcChannel _evaluator;

    private EmbeddedRunServices(EmbeddedCluster cluster, GrpcChannel inference, GrpcChannel evaluator, RunEngine engine)
    {
        (_cluster, _inference, _evaluator, Engine) = (cluster, inference, evaluator, engine);
    }

    /// <summary>The engine that runs configs on these services.</summary>
    public RunEngine Engine { get; }

    /// <summary>Starts the inference replicas of <paramref name="replicas"/> and the evaluator as <paramref name="settings"/>
    /// say (a setting the services refuse throws <see cref="MoCo.Hosting.MocoConfigurationException"/>) and opens the
    /// engine on <paramref name="store"/>.</summary>
    public static async Task<EmbeddedRunServices> StartAsync(IRunStore store, RunEnvironment environment, ServeSettings settings, ReplicaPlan replicas,
        CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        var cluster = replicas.Spread
            ? await EmbeddedCluster.StartReplicasAsync(replicas, settings, cancel).ConfigureAwait(false)
            : await EmbeddedCluster.StartBackendsAsync(["inference", "evaluator"], settings with { Device = replicas.Groups[0].Device ?? settings.Device }, cancel)
                .ConfigureAwait(false);
        var inference = GrpcChannel.ForAddress((cluster.Gateway ?? cluster.Find("inference")!).GrpcAddress);
        var evaluator = GrpcChannel.ForAddress(cluster.Find("evaluator")!.GrpcAddress);
        return new EmbeddedRunServices(cluster, inference, evaluator,
            new RunEngine(store, RunServices.Over(inference, evaluator), environment, MethodRegistry.Default));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _inference.Dispose();
        _evaluator.Dispose();
        await _cluster.DisposeAsync().ConfigureAwait(false);
    }
}
