using System.Text;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>A debate on some items: <see cref="Raw"/>[m][n][j] = debater n's answer in round m to item j, and
/// <see cref="Answers"/>[m][n][j] its ext() (option letter or null, extracted answer text, or trimmed raw text).</summary>
public sealed record Debate(IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> Raw, IReadOnlyList<IReadOnlyList<IReadOnlyList<string?>>> Answers);

/// <summary>One debater's SFT data of an iteration: generation examples (DG) and the critic examples kept (DC).</summary>
public sealed record DebaterData(IReadOnlyList<SftExample> Generation, IReadOnlyList<SftExample> Critic);

/// <summary>
/// The rules of text_multiagent_finetuning (methods-text.md §11): the critic prompt shown in a debate, the history
/// prompt critics train on, the consensus vote, and the per-debater generation and critic datasets. "Correct" means
/// "agrees with the consensus"; gold never enters.
/// </summary>
public static class MultiagentFinetuning
{
    private const string Request = "Please provide a refined and correct answer to the question.";

    /// <summary>The critic prompt of a debate round: the question, the summary of the other debaters' previous answers
    /// (trimmed, empties dropped, model order, blank-line separated), the debater's own previous answer, the request.</summary>
    public static string CriticPrompt(string question, IEnumerable<string> others, string previous) =>
        string.Join("\n", $"Question: {question}", "Summary of other assistants' answers:",
            string.Join("\n\n", others.Select(a => a.Trim()).Where(a => a.Length > 0)), $"Your previous answer: {previous}", Request);

    /// <summary>The history prompt critics train on: the question, one "Round m: " line per round of the debater's own
    /// trimmed answers, the request.</summary>
    public static string HistoryPrompt(string question, IEnumerable<string> rounds)
    {
        var prompt = new StringBuilder($"Question: {question}\n");
        prompt.AppendJoin('\n', rounds.Select((answer, m) => $"Round {m}: {answer.Trim()}"));
        return prompt.Append('\n').Append(Request).ToString();
    }

    /// <summary>Majority(list): nulls skipped, trimmed strings counted, the most frequent wins, ties to the ordinally
    /// smallest; "" when nothing was counted.</summary>
    public static string Majority(IEnumerable<string?> answers)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var answer in answers)
        {
            if (answer is not null)
            {
                var key = answer.Trim();
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        return counts.Count == 0 ? "" : counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).First().Key;
    }

    /// <summary>Per item j of <paramref name="debate"/>: the consensus c_j (Majority of the last round's answers) and
    /// r_j, the most frequent trimmed raw final answer among the debaters whose last answer is c_j (ties ordinally
    /// smallest, "" when none).</summary>
    public static IReadOnlyList<(string Consensus, string Representative)> Consensus(Debate debate)
    {
        ArgumentNullException.ThrowIfNull(debate);
        var last = debate.Answers[^1];
        var raw = debate.Raw[^1];
        return [.. Enumerable.Range(0, last[0].Count).Select(j =>
        {
            var c = Majority(last.Select(a => a[j]));
            var agreeing = Enumerable.Range(0, last.Count).Where(n => last[n][j] == c).Select(n => (string?)raw[n][j]);
            return (c, Majority(agreeing));
        })];
    }

    /// <summary>Step 4 for every debater: DG_n = first answers agreeing with the consensus (prompt q_j, completion the
    /// trimmed answer); critic examples (history prompt, completion r_j) of final answers agreeing with it, into DC− when
    /// the first answer disagreed, else DC+; DC_n = k− = (w &gt; 0 ? max(1, ⌊|DC−|·w⌋) : 0) drawn from a non-empty DC−
    /// followed by k+ = (w &lt; 1 ? max(1, ⌊|DC+|·(1 − w)⌋) : 0) from a non-empty DC+, without replacement, each debater's
    /// draws from a stream started afresh (the reference re-seeds 0 per debater).</summary>
    public static IReadOnlyList<DebaterData> Datasets(IReadOnlyList<string> questions, Debate debate, double w, Func<SeededRng> criticRng)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(debate);
        ArgumentNullException.ThrowIfNull(criticRng);
        var consensus = Consensus(debate);
        var debaters = debate.Raw[0].Count;
        var data = new List<DebaterData>();
        for (var n = 0; n < debaters; n++)
        {
            var generation = new List<SftExample>();
            var minus = new List<SftExample>();
            var plus = new List<SftExample>();
            for (var j = 0; j < questions.Count; j++)
            {
                var (c, r) = consensus[j];
                var first = debate.Answers[0][n][j];
                if (first == c)
                {
                    generation.Add(new SftExample(questions[j], debate.Raw[0][n][j].Trim()));
                }
                if (debate.Answers[^1][n][j] == c)
                {
                    var example = new SftExample(HistoryPrompt(questions[j], debate.Raw.Select(round => round[n][j])), r);
                    (first != c ? minus : plus).Add(example);
                }
            }
            var rng = criticRng();
            var critic = new List<SftExample>();
            if (minus.Count > 0)
            {
                critic.AddRange(Sample(rng, minus, w > 0 ? Math.Max(1, (int)Math.Floor(minus.Count * w)) : 0));
            }
            if (plus.Count > 0)
            {
                critic.AddRange(Sample(rng, plus, 1 - w > 0 ? Math.Max(1, (int)Math.Floor(plus.Count * (1 - w))) : 0));
            }
            data.Add(new DebaterData(generation, critic));
        }
        return data;
    }

    /// <summary>The dev subset: every index when <paramref name="ratio"/> is 1, else max(1, ⌊D·ratio⌋) indices drawn
    /// without replacement, sorted.</summary>
    public static IReadOnlyList<int> Subset(int count, double ratio, SeededRng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (ratio >= 1.0)
        {
            return [.. Enumerable.Range(0, count)];
        }
        return [.. Sample(rng, [.. Enumerable.Range(0, count)], Math.Max(1, (int)Math.Floor(count * ratio))).Order()];
    }

    /// <summary>One JSONL line as the reference's json.dumps writes it: `{"prompt": …, "completion": …}`, ASCII-escaped.</summary>
    public static string JsonLine(SftExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return $"{{\"prompt\": {PyJsonWriter.Serialize(JsonValue.Create(example.Prompt))}, \"completion\": {PyJsonWriter.Serialize(JsonValue.Create(example.Completion))}}}";
    }

    // k items drawn without replacement (k capped at the list's size), in draw order.
    private static List<T> Sample<T>(SeededRng rng, IReadOnlyList<T> items, int k)
    {
        var pool = items.ToArray();
        k = Math.Min(k, pool.Length);
        for (var t = 0; t < k; t++)
        {
            var pick = t + rng.Next(pool.Length - t);
            (pool[t], pool[pick]) = (pool[pick], pool[t]);
        }
        return [.. pool[..k]];
    }
}
