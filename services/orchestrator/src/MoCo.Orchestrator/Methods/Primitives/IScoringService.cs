namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Log-probabilities of <paramref name="Continuation"/> after <paramref name="Prompt"/> (inference Score), or, with
/// <paramref name="Reward"/>, a sequence-classification reward model's single logit on the conversation [user: prompt,
/// assistant: continuation] (Score's classification mode, methods-api.md §0.9) as <see cref="ScoreResult.Value"/>. A
/// <paramref name="System"/> message, when given, opens the conversation (api_collm's scoring).</summary>
public sealed record ScoreRequest(CallSite Site, string ItemKey, int Index, string Prompt, string Continuation, bool Reward = false, string? System = null);

/// <summary>Per continuation token its log-prob and the position's maximum log-prob; <see cref="Value"/> is the sum
/// (or the reward-head value). A prompt that alone does not fit the model's context fails that request only
/// (methods-text.md §0.3): <see cref="Error"/> says why, the lists are empty and the value is −∞.</summary>
public sealed record ScoreResult(IReadOnlyList<double> TokenLogprobs, IReadOnlyList<double> MaxLogprobs, double Value, CallUsage Usage, string? Error = null);

/// <summary>Scoring over the inference service, cached under call keys like generation.</summary>
public interface IScoringService
{
    /// <summary>Scores every request on <paramref name="model"/>, in request order.</summary>
    Task<IReadOnlyList<ScoreResult>> ScoreAsync(string model, IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken);
}
