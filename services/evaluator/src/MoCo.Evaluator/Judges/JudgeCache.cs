using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace MoCo.Evaluator.Judges;

/// <summary>A judgement worth keeping: the score and what the model said.</summary>
/// <param name="Score">The item's score from this judgement.</param>
/// <param name="Text">The judge's generated text, if any.</param>
/// <param name="Logit">The reward model's logit, if any.</param>
/// <param name="Substituted">The inference service reported a substituted model (encoders).</param>
public sealed record Judgement(double Score, string? Text, double? Logit, bool Substituted);

/// <summary>
/// Judge, reward and encoder results per (item, output, judge): methods score the same dev outputs many times
/// (searches, ties), and a judge call costs a model forward pass. Only successes are kept; the cache is bounded
/// and simply starts over when full.
/// </summary>
public sealed class JudgeCache(int capacity = 200_000)
{
    private readonly ConcurrentDictionary<string, Judgement> _entries = new(StringComparer.Ordinal);

    /// <summary>The key of one judgement: the judge (role, model, prompt form), the item and the output.</summary>
    public static string Key(string judge, string item, string output) =>
        judge + "|" + item + "|" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output)));

    /// <summary>The cached judgement, or the one <paramref name="judge"/> makes (kept if it succeeds).</summary>
    public async Task<Judgement> GetOrAddAsync(string key, Func<Task<Judgement>> judge)
    {
        if (_entries.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var fresh = await judge().ConfigureAwait(false);
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }
        _entries[key] = fresh;
        return fresh;
    }
}
