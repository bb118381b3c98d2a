using MoCo.Evaluator.Scoring;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>One item's vote (methods-text.md §1, MoCo.NET rules): answers grouped by identity (multiple choice letters)
/// or by normalised form (exact_match, f1_match), groups ordered by first appearance in model order; null answers do
/// not vote unless every answer is null. The groups with the largest count are the tied candidates.</summary>
public static class MajorityVote
{
    /// <summary>One group: its first original answer, its normalised key, the voting model indices in order.</summary>
    public sealed record Group(string Answer, string Key, IReadOnlyList<int> Voters);

    /// <summary>The tied groups of largest count, in first-appearance order; empty when every answer is null.</summary>
    public static IReadOnlyList<Group> Leaders(IReadOnlyList<string?> answers, bool normalise)
    {
        var groups = new List<(string Answer, string Key, List<int> Voters)>();
        for (var i = 0; i < answers.Count; i++)
        {
            if (answers[i] is not { } answer)
            {
                continue;
            }
            var key = normalise ? AnswerNormalizer.Normalize(answer) : answer;
            var group = groups.FindIndex(g => g.Key == key);
            if (group < 0)
            {
                groups.Add((answer, key, [i]));
            }
            else
            {
                groups[group].Voters.Add(i);
            }
        }
        if (groups.Count == 0)
        {
            return [];
        }
        var best = groups.Max(g => g.Voters.Count);
        return [.. groups.Where(g => g.Voters.Count == best).Select(g => new Group(g.Answer, g.Key, g.Voters))];
    }
}
