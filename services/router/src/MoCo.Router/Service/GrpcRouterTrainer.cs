using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Router.Decoding;
using MoCo.Router.Training;

namespace MoCo.Router.Service;

/// <summary>Rewards over moco.v1.InferenceService.Score in classification mode (the call the evaluator and runs make,
/// methods-api.md §0.9), continuation log-probs over Score in continuation mode, and training jobs over Train (<see cref="TrainCalls"/>).
/// Each trained model is registered in <paramref name="rebuilds"/> with its job, so a Route or Complete that finds it
/// gone with its replica (contracts.md §9) has it trained again and is repeated; <paramref name="journal"/> keeps the
/// job on disk so that a restarted router registers it again (<see cref="RegisterJournaled"/>).</summary>
public sealed class GrpcRouterTrainer(InferenceService.InferenceServiceClient client, RebuildScope? rebuilds = null, TrainJournal? journal = null)
    : IRouterTrainer
{
    /// <inheritdoc/>
    public async Task<double> RewardAsync(string model, string prompt, string output, string callKey, CancellationToken cancellationToken)
    {
        var request = ScoreCalls.Request(model, null, prompt, output, reward: true, callKey);
        var response = await client.ScoreAsync(request, RoutingHeaders.For(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return ScoreCalls.Reward(response, model);
    }

    /// <inheritdoc/>
    public async Task<ContinuationScore> ScoreContinuationAsync(string model, string system, string user, string continuation, string callKey,
        CancellationToken cancellationToken)
    {
        var request = ScoreCalls.Request(model, system, user, continuation, reward: false, callKey);
        try
        {
            var response = await client.ScoreAsync(request, RoutingHeaders.For(model), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ContinuationScore([.. response.Logprobs.Select(v => (double)v)], [.. response.MaxLogprobs.Select(v => (double)v)],
                response.Usage?.PromptTokens ?? 0, null);
        }
        catch (RpcException e) when (ScoreCalls.PromptTooLong(e))
        {
            return new ContinuationScore([], [], 0, e.Status.Detail);
        }
    }

    /// <inheritdoc/>
    public async Task<string> TrainAsync(TrainJob job, IReadOnlyList<TrainExample> examples, Func<TrainResponse, Task> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        // The job already carries its output id and call key: the repeat makes the same model.
        var repeat = job.Clone();
        var trained = await TrainCalls.AvailableAsync(client, job.OutputId, cancellationToken).ConfigureAwait(false)
            ? job.OutputId
            : (await TrainCalls.RunAsync(client, job, examples, report, null, rebuilds, cancellationToken).ConfigureAwait(false)).Done.ModelId;
        // Registered once the model exists: registered before, the availability probe's NOT_FOUND would itself set off
        // the rebuild, and the job would train inside it, its progress unreported.
        rebuilds?.Register(trained, token => TrainAsync(repeat.Clone(), examples, _ => Task.CompletedTask, token));
        journal?.Save(trained, repeat, examples);
        return trained;
    }

    /// <summary>Registers for rebuild every model the journal holds a job for (a router's start: the models fits made
    /// before it); each job is read from disk only when its model is found missing.</summary>
    public void RegisterJournaled()
    {
        if (rebuilds is null || journal is null)
        {
            return;
        }
        foreach (var model in journal.Models())
        {
            rebuilds.Register(model, token =>
            {
                var (job, examples) = journal.Load(model);
                return TrainAsync(job, examples, _ => Task.CompletedTask, token);
            });
        }
    }
}
