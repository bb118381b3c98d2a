using MoCo.Contracts.V1;

namespace MoCo.Router.Routing;

/// <summary>
/// api_cascade's token confidence (methods-api.md §6 logit mode): per generated token c_t = the maximum of the softmax
/// over its k largest processed logits (entries the sampler filtered are −∞, probability 0); a sequence's confidence is
/// the mean of c_t over its own tokens through its EOS, 0 when it has none.
/// </summary>
public sealed class TopConfidence
{
    private double _sum;
    private int _count;

    /// <summary>c_t of one token from its k largest processed logits (any order; −∞ allowed).</summary>
    public static double Token(IReadOnlyCollection<double> topLogits)
    {
        ArgumentNullException.ThrowIfNull(topLogits);
        if (topLogits.Count == 0)
        {
            throw new ArgumentException("a token's confidence needs at least its own logit", nameof(topLogits));
        }
        var max = topLogits.Max();
        return 1.0 / topLogits.Sum(v => Math.Exp(v - max));
    }

    /// <summary>What a Generate request asks for ScoredGen: the <paramref name="k"/> largest processed logits of every
    /// generated token.</summary>
    public static LogprobOptions Request(int k) => new() { Enabled = true, TopK = k, Source = LogprobSource.Processed, Value = LogprobValue.Logit };

    /// <summary>Adds one generated token as Generate reports it for <see cref="Request"/>: its top logits, or its own
    /// logit when it reports none.</summary>
    public void Add(TokenLogprob token)
    {
        ArgumentNullException.ThrowIfNull(token);
        Add(token.Top.Count > 0 ? [.. token.Top.Select(t => (double)t.Value)] : [token.Value]);
    }

    /// <summary>Adds one token.</summary>
    public void Add(IReadOnlyCollection<double> topLogits)
    {
        _sum += Token(topLogits);
        _count++;
    }

    /// <summary>The mean c_t so far; 0 with no token.</summary>
    public double Mean => _count == 0 ? 0 : _sum / _count;
}
