namespace MoCo.Inference.Scheduling;

/// <summary>How one model's scheduling loop runs (from <see cref="InferenceOptions"/>).</summary>
/// <param name="StepTokens">Tokens one step feeds at most: decodes first, then prefill chunks in what is left.</param>
/// <param name="MinPrefillTokens">Prefill tokens a step feeds even when decodes use the whole budget, so a waiting
/// prompt is never starved by a full decode batch.</param>
/// <param name="MaxQueued">Requests waiting for admission beyond which new ones are refused.</param>
public sealed record SchedulerOptions(int StepTokens = 256, int MinPrefillTokens = 16, int MaxQueued = 256)
{
    /// <summary>The options <paramref name="o"/> configures.</summary>
    public static SchedulerOptions From(InferenceOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new SchedulerOptions(Math.Max(1, o.StepTokens), Math.Min(16, Math.Max(1, o.StepTokens)), Math.Max(0, o.MaxQueuedRequests));
    }
}
