using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>What fitting a trained router asks of the inference service: a reward model's score of an output
/// (methods-api.md §0.9), a continuation's log-probs (api_collm's labels) and a training job (contracts.md §4 Train). Inference in production, a scripted double in
/// tests.</summary>
public interface IRouterTrainer
{
    /// <summary>The single logit of reward model <paramref name="model"/> on [user: <paramref name="prompt"/>, assistant:
    /// <paramref name="output"/>].</summary>
    Task<double> RewardAsync(string model, string prompt, string output, string callKey, CancellationToken cancellationToken);

    /// <summary><paramref name="model"/>'s log-probs of <paramref name="continuation"/> after [system:
    /// <paramref name="system"/>, user: <paramref name="user"/>] with the generation prompt (Score, continuation mode); a
    /// prompt beyond the model's context is an error in the result, not an exception.</summary>
    Task<Decoding.ContinuationScore> ScoreContinuationAsync(string model, string system, string user, string continuation, string callKey,
        CancellationToken cancellationToken);

    /// <summary>The id of <paramref name="job"/>'s trained model (its base model, output id and call key set): the job's
    /// output model when the service still serves it, else trained now on <paramref name="examples"/>, each started and
    /// progress message shown to <paramref name="report"/>.</summary>
    Task<string> TrainAsync(TrainJob job, IReadOnlyList<TrainExample> examples, Func<TrainResponse, Task> report, CancellationToken cancellationToken);
}
