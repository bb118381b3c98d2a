using Microsoft.Extensions.Hosting;

namespace MoCo.Router.Service;

/// <summary>Registers, as the router starts, the rebuilds of the models earlier router processes trained
/// (<see cref="Training.TrainJournal"/>), before any Route or Complete can find one of them missing.</summary>
internal sealed class JournaledRebuilds(GrpcRouterTrainer trainer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        trainer.RegisterJournaled();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
