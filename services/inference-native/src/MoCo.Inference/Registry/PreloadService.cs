using Grpc.Core;
using Microsoft.Extensions.Hosting;
using MoCo.Hosting;

namespace MoCo.Inference.Registry;

/// <summary>Loads Moco:Inference:Preload at start-up, before the host takes calls; a model that cannot be loaded
/// stops the host naming the entry and why (exit 2, as for any bad setting), so a misconfigured replica never reports
/// ready.</summary>
internal sealed class PreloadService(ModelRegistry registry, InferenceOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < options.Preload.Count; i++)
        {
            try
            {
                registry.Load(options.Preload[i], preload: false);
            }
            catch (RpcException e)
            {
                throw new MocoConfigurationException($"{InferenceOptions.Section}:Preload:{i}", $"'{options.Preload[i]}' cannot be loaded: {e.Status.Detail}",
                    "name a model `moco models list` shows, or a model folder, or leave it out of the preload list (--preload)");
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
