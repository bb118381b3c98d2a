using Google.Rpc;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Aggregation;

/// <summary>
/// Turns item outcomes into ItemResults and keeps what the summary needs (scores and flags, not outputs).
/// Grouping (evaluation.md §2.10): items of the request that share a value of the grouping field all get 1.0 if
/// every member scored exactly 1.0, else 0.0 (raw_score keeps each item's own); an error in a member makes the group
/// an error. A group's results are held until all its members in the view have arrived, or the request ends.
/// Not thread-safe: callers serialise <see cref="Add"/> and <see cref="Finish"/>.
/// </summary>
public sealed class ResultCollector
{
    private readonly DatasetView _view;
    private readonly string? _groupField;
    private readonly Entry?[] _entries;
    private readonly string?[] _groupOf;
    private readonly Dictionary<string, int> _groupSize = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(int Position, ItemResult Result)>> _pending = new(StringComparer.Ordinal);

    /// <summary>A collector for <paramref name="view"/>, grouping by <paramref name="groupField"/> (null = none).</summary>
    public ResultCollector(DatasetView view, string? groupField)
    {
        _view = view;
        _groupField = groupField;
        _entries = new Entry?[view.Indices.Length];
        _groupOf = new string?[view.Indices.Length];
        if (groupField is not null)
        {
            for (var p = 0; p < _groupOf.Length; p++)
            {
                if (view.At(p).Text(groupField) is { } value)
                {
                    _groupOf[p] = value;
                    _groupSize[value] = _groupSize.GetValueOrDefault(value) + 1;
                }
            }
        }
    }

    /// <summary>Outputs received.</summary>
    public int Received { get; private set; }

    /// <summary>Records the outcome at view position <paramref name="position"/>; returns the results now complete
    /// (the item, or its whole group, or nothing while the group waits).</summary>
    public IReadOnlyList<ItemResult> Add(int position, ItemOutcome outcome)
    {
        Received++;
        var result = ToResult(position, outcome);
        _entries[position] = new Entry(outcome.Score, outcome.InvalidGold, outcome.Error is not null, [.. outcome.Flags]);
        if (_groupOf[position] is not { } group || outcome.Score is null && outcome.Error is null)
        {
            return [result];
        }
        if (!_pending.TryGetValue(group, out var members))
        {
            _pending[group] = members = [];
        }
        members.Add((position, result));
        if (members.Count < _groupSize[group])
        {
            return [];
        }
        _pending.Remove(group);
        return Close(group, members);
    }

    /// <summary>Closes the groups still waiting (members missing from the request) and returns their results.</summary>
    public IReadOnlyList<ItemResult> Finish()
    {
        var results = new List<ItemResult>();
        foreach (var (group, members) in _pending.OrderBy(p => p.Value[0].Position))
        {
            results.AddRange(Close(group, members));
        }
        _pending.Clear();
        return results;
    }

    /// <summary>The summary of everything received (evaluation.md §2.11).</summary>
    public EvaluationSummary Summary(CompatMode mode)
    {
        var summary = new EvaluationSummary { Metric = _view.Metric, N = Received, Compat = mode.ToWire() };
        var scored = new List<double>();
        var valid = new List<double>();
        var flagCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < _entries.Length; p++)
        {
            if (_entries[p] is not { } entry)
            {
                continue;
            }
            if (entry.Score is { } score)
            {
                scored.Add(score);
                if (entry.InvalidGold)
                {
                    summary.NInvalidGold++;
                }
                else
                {
                    valid.Add(score);
                }
            }
            if (entry.Error)
            {
                summary.NErrors++;
            }
            foreach (var flag in entry.Flags)
            {
                flagCounts[flag] = flagCounts.GetValueOrDefault(flag) + 1;
            }
        }
        summary.NScored = scored.Count;
        summary.Mean = Mean(scored);
        summary.MeanValid = Mean(valid);
        summary.FlagCounts.Add(flagCounts);
        summary.ComparableToReference = !flagCounts.Keys.Any(SubstitutionFlags.Contains);
        summary.Breakdowns.Add(Breakdowns());
        if (_view.Request.Limit is { } limit)
        {
            summary.Limit = limit;
        }
        if (_view.Request.LimitSeed is { } seed && _view.Request.Limit is not null)
        {
            summary.LimitSeed = seed;
        }
        return summary;
    }

    private static readonly HashSet<string> SubstitutionFlags =
    [
        ItemFlags.JudgeSubstituted, ItemFlags.RewardModelSubstituted, ItemFlags.RewardJudgeGenerative, ItemFlags.EncoderSubstituted,
    ];

    private static readonly string[] BreakdownFields = ["domain", "category", "country", "answer_type"];

    private IEnumerable<Breakdown> Breakdowns()
    {
        foreach (var field in BreakdownFields)
        {
            var byValue = new SortedDictionary<string, List<double?>>(StringComparer.Ordinal);
            for (var p = 0; p < _entries.Length; p++)
            {
                if (_entries[p] is { } entry && _view.At(p).Text(field) is { } value)
                {
                    if (!byValue.TryGetValue(value, out var scores))
                    {
                        byValue[value] = scores = [];
                    }
                    scores.Add(entry.Score);
                }
            }
            foreach (var (value, scores) in byValue)
            {
                var scoredOnly = scores.Where(s => s is not null).Select(s => s!.Value).ToList();
                yield return new Breakdown { Field = field, Value = value, N = scores.Count, NScored = scoredOnly.Count, Mean = Mean(scoredOnly) };
            }
        }
    }

    // The reference's sum/len, summed in item order.
    private static double? Mean(List<double> scores)
    {
        if (scores.Count == 0)
        {
            return null;
        }
        var sum = 0.0;
        foreach (var s in scores)
        {
            sum += s;
        }
        return sum / scores.Count;
    }

    private IReadOnlyList<ItemResult> Close(string group, List<(int Position, ItemResult Result)> members)
    {
        var failed = members.FirstOrDefault(m => m.Result.Error is not null);
        var score = members.All(m => m.Result.RawScore == 1.0) ? 1.0 : 0.0;
        foreach (var (position, result) in members)
        {
            var entry = _entries[position]!;
            if (failed.Result is not null)
            {
                result.Score = null;
                result.Error ??= new Status
                {
                    Code = failed.Result.Error.Code,
                    Message = $"group {_groupField}={group} has a failed member (index {failed.Result.Index}): {failed.Result.Error.Message}",
                };
                _entries[position] = entry with { Score = null, Error = true };
            }
            else
            {
                result.Score = score;
                _entries[position] = entry with { Score = score };
            }
        }
        return [.. members.OrderBy(m => m.Position).Select(m => m.Result)];
    }

    private ItemResult ToResult(int position, ItemOutcome outcome)
    {
        var item = _view.At(position);
        var result = new ItemResult { Index = item.Index, Id = item.Id, Score = outcome.Score, RawScore = outcome.Score, Parsed = outcome.Parsed };
        result.Flags.Add(outcome.Flags);
        if (outcome.Detail is not null)
        {
            result.Detail = outcome.Detail;
        }
        if (outcome.Error is not null)
        {
            result.Error = outcome.Error;
        }
        return result;
    }

    private sealed record Entry(double? Score, bool InvalidGold, bool Error, string[] Flags);
}
