using Microsoft.Extensions.Hosting;

namespace MoCo.Inference.Registry;

/// <summary>Loads Moco:Inference:Preload at start-up, before the host takes calls; a model that cannot be loaded
/// stops the host with its error, so a misconfigured replica never reports ready.</summary>
internal sealed class PreloadService(ModelRegistry registry, InferenceOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in options.Preload)
        {
            registry.Load(name, preload: false);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
