using System.Collections.Concurrent;
using MoCo.Contracts.V1;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>A scripted <see cref="IRouterTrainer"/>: rewards from <paramref name="reward"/> (prompt, output), each asked
/// call recorded; every job recorded and "trained" in three reported steps, answering its output id.</summary>
internal sealed class ScriptedRouterTrainer(Func<string, string, double> reward) : IRouterTrainer
{
    public ConcurrentQueue<(string Model, string Prompt, string Output)> Rewards { get; } = new();

    public List<(TrainJob Job, IReadOnlyList<TrainExample> Examples)> Jobs { get; } = [];

    public Task<double> RewardAsync(string model, string prompt, string output, string callKey, CancellationToken cancellationToken)
    {
        Rewards.Enqueue((model, prompt, output));
        return Task.FromResult(reward(prompt, output));
    }

    public Task<MoCo.Router.Decoding.ContinuationScore> ScoreContinuationAsync(string model, string system, string user, string continuation, string callKey,
        CancellationToken cancellationToken) => throw new InvalidOperationException("this fit scores no continuation");

    public async Task<string> TrainAsync(TrainJob job, IReadOnlyList<TrainExample> examples, Func<TrainResponse, Task> report, CancellationToken cancellationToken)
    {
        Jobs.Add((job.Clone(), examples));
        await report(new TrainResponse { Started = new TrainStarted { TotalSteps = 3 } });
        for (var step = 1; step <= 3; step++)
        {
            await report(new TrainResponse { Progress = new TrainProgress { Step = step, Loss = 1.0 / step } });
        }
        return job.OutputId;
    }
}
