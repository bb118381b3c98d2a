namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>Log-probabilities of <paramref name="Continuation"/> after <paramref name="Prompt"/> (inference Score), or the
/// classification-head value of a reward model when the continuation is the response to rate.</summary>
public sealed record ScoreRequest(CallSite Site, string ItemKey, int Index, string Prompt, string Continuation);

/// <summary>Per continuation token its log-prob and the position's maximum log-prob; <see cref="Value"/> is the sum
/// (or the reward-head value).</summary>
public sealed record ScoreResult(IReadOnlyList<double> TokenLogprobs, IReadOnlyList<double> MaxLogprobs, double Value, CallUsage Usage);

/// <summary>Scoring over the inference service, cached under call keys like generation.</summary>
public interface IScoringService
{
    /// <summary>Scores every request on <paramref name="model"/>, in request order.</summary>
    Task<IReadOnlyList<ScoreResult>> ScoreAsync(string model, IReadOnlyList<ScoreRequest> requests, CancellationToken cancellationToken);
}
