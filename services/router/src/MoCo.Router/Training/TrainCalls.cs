using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>
/// One training job over moco.v1.InferenceService.Train (contracts.md §4), as runs and the router service stream it: the
/// job, its examples in chunks, examples-done; then started, progress per optimizer step and done. A policy-gradient
/// job keeps the request side open to answer each rollout batch with its rewards until the trainer is done.
/// </summary>
public static class TrainCalls
{
    private const int ExamplesPerMessage = 64;

    /// <summary>Runs <paramref name="job"/> (its base model, output id and call key set) on <paramref name="examples"/>;
    /// <paramref name="report"/> sees each started and progress message; <paramref name="rewards"/> answers rollout
    /// batches (null = the job samples none). A base made at run time that went with its replica is made again through
    /// <paramref name="rebuilds"/> and the job sent once more, which the affinity interceptor cannot do for a duplex
    /// stream (null = no rebuilds: the NOT_FOUND stands).</summary>
    /// <exception cref="RpcException">The service failed the job, or its stream ended without done.</exception>
    public static Task<TrainOutcome> RunAsync(InferenceService.InferenceServiceClient client, TrainJob job, IReadOnlyList<TrainExample> examples,
        Func<TrainResponse, Task>? report, Func<TrainRollouts, CancellationToken, Task<IEnumerable<double>>>? rewards, RebuildScope? rebuilds,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(examples);
        Task<TrainOutcome> Once() => OnceAsync(client, job, examples, report, rewards, cancellationToken);
        return rebuilds?.RepeatAfterRebuildAsync(job.BaseModel, Once, cancellationToken) ?? Once();
    }

    private static async Task<TrainOutcome> OnceAsync(InferenceService.InferenceServiceClient client, TrainJob job, IReadOnlyList<TrainExample> examples,
        Func<TrainResponse, Task>? report, Func<TrainRollouts, CancellationToken, Task<IEnumerable<double>>>? rewards, CancellationToken cancellationToken)
    {
        // The call carries the token; writes take none (some transports, the in-process test one among them, refuse it).
        using var call = client.Train(RoutingHeaders.For(job.BaseModel), cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new TrainRequest { Job = job }).ConfigureAwait(false);
        foreach (var chunk in examples.Chunk(ExamplesPerMessage))
        {
            var batch = new TrainExamples();
            batch.Examples.Add(chunk);
            await call.RequestStream.WriteAsync(new TrainRequest { Examples = batch }).ConfigureAwait(false);
        }
        await call.RequestStream.WriteAsync(new TrainRequest { ExamplesDone = new ExamplesDone() }).ConfigureAwait(false);
        if (rewards is null)
        {
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (response.PayloadCase)
            {
                case TrainResponse.PayloadOneofCase.Started or TrainResponse.PayloadOneofCase.Progress when report is not null:
                    await report(response).ConfigureAwait(false);
                    break;
                case TrainResponse.PayloadOneofCase.Rollouts when rewards is not null:
                    var answer = new TrainRewards { BatchId = response.Rollouts.BatchId };
                    answer.Rewards.Add(await rewards(response.Rollouts, cancellationToken).ConfigureAwait(false));
                    await call.RequestStream.WriteAsync(new TrainRequest { Rewards = answer }).ConfigureAwait(false);
                    break;
                case TrainResponse.PayloadOneofCase.Done:
                    if (rewards is not null)
                    {
                        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                    }
                    return new TrainOutcome(response.Done, RoutingHeaders.ReplicaOf(await call.ResponseHeadersAsync.ConfigureAwait(false)));
            }
        }
        throw new RpcException(new Status(StatusCode.Internal, $"Train of {job.BaseModel} ended without done; nothing was trained"));
    }

    /// <summary>Whether the service serves <paramref name="modelId"/> (ModelInfo answers rather than NOT_FOUND): a job's
    /// model that is still there need not be trained again.</summary>
    public static async Task<bool> AvailableAsync(InferenceService.InferenceServiceClient client, string modelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.ModelInfoAsync(new ModelInfoRequest { Model = modelId }, RoutingHeaders.For(modelId), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }
}
