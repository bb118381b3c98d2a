using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Cli.Bench;

/// <summary>
/// The services a suite measures, hosted in this process on loopback as `moco run` hosts them: inference alone, or
/// with the gateway in front. The suite's models are linked into a folder of their own as <see cref="First"/> and
/// <see cref="Second"/>, so one model given twice still loads as two residents, each with its own weights and loop,
/// as two distinct models would.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    /// <summary>The name <see cref="BenchOptions.Model"/> is served under.</summary>
    public const string First = "bench-1";

    /// <summary>The name <see cref="BenchOptions.Partner"/> is served under.</summary>
    public const string Second = "bench-2";

    private readonly DirectoryInfo _models;
    private readonly EmbeddedCluster _cluster;
    private readonly List<GrpcChannel> _channels = [];

    private BenchCluster(DirectoryInfo models, EmbeddedCluster cluster)
    {
        (_models, _cluster) = (models, cluster);
    }

    /// <summary>The inference host.</summary>
    public RunningService Inference => _cluster.Find("inference")!;

    /// <summary>A client of the inference service, directly.</summary>
    public InferenceService.InferenceServiceClient Direct => new(Channel(Inference.GrpcAddress));

    /// <summary>A client of the inference service through the gateway (the cluster must have been started with it).</summary>
    public InferenceService.InferenceServiceClient ViaGateway => new(Channel(_cluster.Gateway!.GrpcAddress));

    /// <summary>Starts inference (and the gateway when <paramref name="gateway"/>) on <see cref="BenchOptions.Device"/>
    /// with both models resident.</summary>
    public static async Task<BenchCluster> StartAsync(BenchOptions options, bool gateway, CancellationToken cancel)
    {
        var models = Directory.CreateTempSubdirectory("moco-bench-models-");
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(models.FullName, First), options.Model.Directory);
            Directory.CreateSymbolicLink(Path.Combine(models.FullName, Second), options.Partner.Directory);
            var settings = new ServeSettings { Device = options.Device, ModelDirectories = [models.FullName], QuietLogs = true, BindAddress = "127.0.0.1", GrpcPort = 0, AdminPort = 0 };
            var cluster = gateway
                ? await EmbeddedCluster.StartWithGatewayAsync(["inference"], settings, cancel).ConfigureAwait(false)
                : await EmbeddedCluster.StartBackendsAsync(["inference"], settings, cancel).ConfigureAwait(false);
            var bench = new BenchCluster(models, cluster);
            try
            {
                foreach (var name in new[] { First, Second })
                {
                    await bench.Direct.LoadModelAsync(new LoadModelRequest { Model = name }, cancellationToken: cancel).ConfigureAwait(false);
                }
                // The gateway routes a service once its own probe of the replica has answered SERVING.
                var unhealthy = gateway ? (await cluster.CheckHealthAsync(TimeSpan.FromSeconds(30), cancel).ConfigureAwait(false)).Where(r => !r.Serving).ToList() : [];
                if (unhealthy.Count > 0)
                {
                    throw new InvalidOperationException($"not serving: {string.Join("; ", unhealthy.Select(r => $"{r.Service}: {r.Detail}"))}");
                }
                return bench;
            }
            catch
            {
                await bench.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            if (models.Exists)
            {
                models.Delete(recursive: true);
            }
            throw;
        }
    }

    /// <summary>Streams one Generate call to its end; returns the tokens it generated.</summary>
    public static async Task<int> GenerateAsync(InferenceService.InferenceServiceClient client, GenerateRequest request, CancellationToken cancel)
    {
        using var call = client.Generate(request, cancellationToken: cancel);
        var tokens = 0;
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancel).ConfigureAwait(false))
        {
            tokens += message.Delta?.TokenIds.Count ?? 0;
        }
        return tokens;
    }

    private GrpcChannel Channel(Uri address)
    {
        var channel = GrpcChannel.ForAddress(address);
        _channels.Add(channel);
        return channel;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        await _cluster.DisposeAsync().ConfigureAwait(false);
        _models.Delete(recursive: true);
    }
}
