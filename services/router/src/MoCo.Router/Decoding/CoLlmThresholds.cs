namespace MoCo.Router.Decoding;

/// <summary>
/// api_collm's deferral threshold per decoding step (methods-api.md §8 inference): "none" keeps τ; "linear" starts at
/// W = min(warmup steps, token budget) values evenly from 1.0 down to τ inclusive (numpy's linspace), then τ; "cosine"
/// eases from 1.0 to τ as τ + (1 − τ)·½(1 + cos(π i / W)) for i &lt; W, then τ. Both warm-ups start at 1.0, which no
/// sigmoid exceeds, so step 0 never defers.
/// </summary>
public sealed class CoLlmThresholds
{
    private readonly double _threshold;
    private readonly double[] _warmup;

    /// <summary>The schedule of <paramref name="schedule"/> ("none", "linear" or "cosine").</summary>
    /// <exception cref="ArgumentException">Another schedule name.</exception>
    public CoLlmThresholds(double threshold, string schedule, int warmupSteps, int maxTokens)
    {
        _threshold = threshold;
        var w = Math.Max(0, Math.Min(warmupSteps, maxTokens));
        _warmup = schedule switch
        {
            "none" => [],
            "linear" => [.. Enumerable.Range(0, w).Select(i => w == 1 ? 1.0 : 1.0 + ((threshold - 1.0) * i / (w - 1)))],
            "cosine" => [.. Enumerable.Range(0, w).Select(i => threshold + ((1.0 - threshold) * 0.5 * (1.0 + Math.Cos(Math.PI * i / w))))],
            _ => throw new ArgumentException($"threshold_warmup_schedule \"{schedule}\" is not a schedule; use none, linear or cosine", nameof(schedule)),
        };
    }

    /// <summary>τ at decoding step <paramref name="step"/> (0 = the first generated token).</summary>
    public double At(int step) => step < _warmup.Length ? _warmup[step] : _threshold;
}
