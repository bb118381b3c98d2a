using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Router.Training;

namespace MoCo.Router.Service;

/// <summary>Rewards over moco.v1.InferenceService.Score in classification mode (the call the evaluator and runs make,
/// methods-api.md §0.9) and training jobs over Train (<see cref="TrainCalls"/>).</summary>
public sealed class GrpcRouterTrainer(InferenceService.InferenceServiceClient client) : IRouterTrainer
{
    /// <inheritdoc/>
    public async Task<double> RewardAsync(string model, string prompt, string output, string callKey, CancellationToken cancellationToken)
    {
        // The whole conversation, no generation prompt: the reward head reads its last token.
        var chat = new ChatPrompt();
        chat.Messages.Add(new ChatMessage { Role = "user", Content = prompt });
        chat.Messages.Add(new ChatMessage { Role = "assistant", Content = output });
        var request = new ScoreRequest { Model = model, Mode = ScoreMode.Classification, Prompt = new Prompt { Chat = chat }, CallKey = callKey };
        var response = await client.ScoreAsync(request, new Metadata { { "moco-model", model } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return RewardScores.Of(response, model);
    }

    /// <inheritdoc/>
    public async Task<string> TrainAsync(TrainJob job, IReadOnlyList<TrainExample> examples, Func<TrainResponse, Task> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return await TrainCalls.AvailableAsync(client, job.OutputId, cancellationToken).ConfigureAwait(false)
            ? job.OutputId
            : (await TrainCalls.RunAsync(client, job, examples, report, null, cancellationToken).ConfigureAwait(false)).ModelId;
    }
}
