using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>BBMAS's blackboard, prompts and parses (methods-text.md §5): the four actions, the blackboard as agents
/// read it, the conclusions of the final iteration and the vote over them.</summary>
public static partial class Bbmas
{
    /// <summary>The phrase that marks an entry as a stop request.</summary>
    public const string StopPhrase = "I choose to terminate and finalize the solution";

    /// <summary>The entry of an action whose every attempt failed.</summary>
    public const string InvalidAction = "INVALID ACTION";

    /// <summary>The conclusion when the final iteration has no entries.</summary>
    public const string NoConclusion = "No conclusion.";

    private const string FinalMarker = "FINAL:";

    /// <summary>The four actions, as the phrases a selection reply must contain exactly one of.</summary>
    public static IReadOnlyList<string> Actions { get; } =
        ["propose a solving strategy", "execute a solution step", "critique and refine existing work", "terminate and finalize the solution"];

    /// <summary>One blackboard entry.</summary>
    public sealed record Entry(int Id, int Iteration, string Text);

    /// <summary>The action a selection reply names: exactly one of <see cref="Actions"/> as a case-sensitive substring,
    /// else null (none, or several).</summary>
    public static string? Action(string reply)
    {
        var named = Actions.Where(a => reply.Contains(a, StringComparison.Ordinal)).ToList();
        return named.Count == 1 ? named[0] : null;
    }

    /// <summary>An entry: the selection reply, a separator, a sentence introducing the execution, the execution reply.</summary>
    public static string EntryText(string selection, string execution) =>
        selection + "\n\n---\n\nWhat follows carries out the action I selected:\n\n" + execution;

    /// <summary>The blackboard as agents read it: a sentence when empty, else the entries grouped by iteration.</summary>
    public static string Board(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return "The blackboard is empty so far.";
        }
        var text = new StringBuilder();
        foreach (var iteration in entries.GroupBy(e => e.Iteration).OrderBy(g => g.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n\n---\n\nAt iteration {iteration.Key} these entries were proposed:\n\n");
            foreach (var entry in iteration)
            {
                text.Append(CultureInfo.InvariantCulture, $"- Entry #{entry.Id}:\n{entry.Text}\n\n");
            }
        }
        return text.ToString();
    }

    /// <summary>The selection prompt.</summary>
    public static string SelectPrompt(string problem, IReadOnlyList<Entry> entries) => Header(problem, entries) + "\n\n" + """
        Decide how you can best move the group toward a correct solution.

        First, take stock of the blackboard: what has been done (cite `Entry #<id>`), which approaches were proposed, which
        entries contain errors, gaps or unclear reasoning, and what remains to be done. Be critical and constructive.

        Then choose ONE action and write exactly the sentence that names it, then stop:
        - "I choose to propose a solving strategy." when a plan is missing;
        - "I choose to execute a solution step." when a plan exists and the next step should be worked out;
        - "I choose to critique and refine existing work." when entries look wrong or unclear;
        - "I choose to terminate and finalize the solution." when the solution looks complete and correct.

        Name exactly one action and write nothing after it.
        """;

    /// <summary>The execution prompt of <paramref name="action"/>, quoting the selection reply as the agent's reasoning.</summary>
    public static string ExecutePrompt(string problem, IReadOnlyList<Entry> entries, string action, string reasoning)
    {
        var task = Actions.ToList().IndexOf(action) switch
        {
            0 => """
                Propose a high-level STRATEGY only; do not solve the problem or derive its answer. Cover: what kind of problem
                this is and its requirements; the concepts or techniques it needs; the overall approach; an outline of 3–5
                phases (without carrying them out); and the pitfalls to watch for.
                """,
            1 => """
                Carry out ONE concrete step of the solution: a computation, a deduction, an intermediate result, or the
                continuation of a step begun in an earlier entry. Be rigorous and show the work.
                """,
            2 => """
                Critique and refine: name the entries you address, point out their errors, gaps or unclear steps, explain
                why they matter, propose specific fixes, and offer alternative approaches where useful.
                """,
            _ => """
                Finalize: synthesise the relevant entries into one complete, coherent and correct solution. Start your
                reply with a line `FINAL:`, then give the solution, then end with `**Final Answer**: <answer>`.
                """,
        };
        return Header(problem, entries) + "\n\n" + $"You chose to *{action}*. Your reasoning was:\n\n---\n\n<reasoning>\n\n{reasoning}\n\n</reasoning>\n\n---\n\n"
            + task + "\nCite earlier entries as `Entry #<id>`.";
    }

    /// <summary>The conclusions of the final iteration's entries: the text after the last "FINAL:" of those containing
    /// it, else every entry's text; <see cref="NoConclusion"/> when there are no entries.</summary>
    public static IReadOnlyList<string> Conclusions(IReadOnlyList<Entry> finalEntries)
    {
        var texts = finalEntries.Select(e => e.Text.Trim()).ToList();
        var marked = texts.Where(t => t.Contains(FinalMarker, StringComparison.Ordinal)).ToList();
        if (marked.Count > 0)
        {
            return [.. marked.Select(t => t[(t.LastIndexOf(FinalMarker, StringComparison.Ordinal) + FinalMarker.Length)..].Trim())];
        }
        return texts.Count > 0 ? texts : [NoConclusion];
    }

    /// <summary>The vote prompt: the conclusions as "Conclusion #k" lines (1-based).</summary>
    public static string VotePrompt(string problem, IReadOnlyList<Entry> entries, IReadOnlyList<string> conclusions) =>
        Header(problem, entries) + "\n\nThese conclusions were drawn from the blackboard:\n\n---\n\n<conclusions>\n\n"
        + string.Join("\n", conclusions.Select((c, i) => $"Conclusion #{i + 1}: {c}"))
        + "\n\n</conclusions>\n\n---\n\nReason step by step about which conclusion is most likely correct, then end with: Therefore, I vote for Conclusion #<k>.";

    /// <summary>The conclusion number a vote reply names, or null (no number above 0: the vote is asked again). Reference:
    /// the first "Conclusion #k", else the number after the first "Therefore, I vote for Conclusion #". MoCo.NET (quirk):
    /// the number after the last "vote for Conclusion #", else the last "Conclusion #k" — the first mention is often in
    /// the reasoning.</summary>
    public static int? Vote(string reply, bool reference)
    {
        if (reference)
        {
            if (ConclusionNumber().Match(reply) is { Success: true } first && Positive(first.Groups[1].Value) is { } k)
            {
                return k;
            }
            var at = reply.IndexOf("Therefore, I vote for Conclusion #", StringComparison.OrdinalIgnoreCase);
            return at >= 0 && Digits().Match(reply, at + "Therefore, I vote for Conclusion #".Length) is { Success: true } next ? Positive(next.Value) : null;
        }
        var votes = VoteFor().Matches(reply);
        if (votes.Count > 0)
        {
            return Positive(votes[^1].Groups[1].Value);
        }
        var mentions = ConclusionNumber().Matches(reply);
        return mentions.Count > 0 ? Positive(mentions[^1].Groups[1].Value) : null;
    }

    /// <summary>The winning conclusion (1-based) of <paramref name="votes"/> (agent order): votes outside 1..count are
    /// dropped, most votes win, equal counts go to the one voted first; no valid vote → 1.</summary>
    public static int Tally(IReadOnlyList<int> votes, int count)
    {
        var valid = votes.Where(v => v >= 1 && v <= count).ToList();
        if (valid.Count == 0)
        {
            return 1;
        }
        var order = valid.Distinct().ToList();
        return order.Aggregate((a, b) => valid.Count(v => v == b) > valid.Count(v => v == a) ? b : a);
    }

    private static string Header(string problem, IReadOnlyList<Entry> entries) =>
        "You are one of several participants solving a problem together on a shared blackboard. Contribute what best helps "
        + "the group reach a correct solution.\n\nWhen you refer to earlier work, cite it as `Entry #<id>` (for example Entry #0).\n\n"
        + $"The problem and the blackboard follow.\n\n---\n\n<problem>\n\n{problem}\n\n</problem>\n\n---\n\n<blackboard>\n\n{Board(entries)}\n\n</blackboard>\n\n---";

    private static int? Positive(string digits) => int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0 ? k : null;

    [GeneratedRegex(@"Conclusion\s*#\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ConclusionNumber();

    [GeneratedRegex(@"vote for Conclusion #\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex VoteFor();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
