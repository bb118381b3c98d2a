using System.Text;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>LLM-Blender's prompts and rules (methods-text.md §3 steps 2–5): the pairwise judge prompt and the parse of
/// its reply, win counting, the stable top-k, and the fusion prompt.</summary>
public static class LlmBlender
{
    /// <summary>The ranker's verdict on one pair.</summary>
    public enum Verdict
    {
        /// <summary>Neither: each candidate gets half a win.</summary>
        None,
        /// <summary>Candidate A (the lower model index) is better.</summary>
        A,
        /// <summary>Candidate B is better.</summary>
        B,
    }

    /// <summary>The pairs (i, j), i &lt; j, of <paramref name="n"/> candidates in the order they are judged.</summary>
    public static IReadOnlyList<(int I, int J)> Pairs(int n) => [.. Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(i + 1, n - i - 1).Select(j => (i, j)))];

    /// <summary>The judge prompt for candidate A (model i) against candidate B (model j); A is always the lower index.</summary>
    public static string PairPrompt(string question, string answerA, string answerB) =>
        "Act as an impartial judge of two responses to the same question.\n\n"
        + $"Question:\n{question}\n\n"
        + $"Candidate A:\n{answerA}\n\n"
        + $"Candidate B:\n{answerB}\n\n"
        + "Which candidate answers the question better? Reply with one character only: A or B.";

    /// <summary>The first character that is A or B in the upper-cased stripped reply ("Both…" reads B).</summary>
    public static Verdict Parse(string reply)
    {
        foreach (var c in reply.Trim().ToUpperInvariant())
        {
            if (c == 'A')
            {
                return Verdict.A;
            }
            if (c == 'B')
            {
                return Verdict.B;
            }
        }
        return Verdict.None;
    }

    /// <summary>Wins per candidate from the verdicts of <see cref="Pairs"/>: A → i +1, B → j +1, none → each +0.5.</summary>
    public static double[] Wins(int n, IReadOnlyList<Verdict> verdicts)
    {
        var pairs = Pairs(n);
        var wins = new double[n];
        for (var p = 0; p < pairs.Count; p++)
        {
            var (i, j) = pairs[p];
            switch (verdicts[p])
            {
                case Verdict.A:
                    wins[i] += 1.0;
                    break;
                case Verdict.B:
                    wins[j] += 1.0;
                    break;
                default:
                    wins[i] += 0.5;
                    wins[j] += 0.5;
                    break;
            }
        }
        return wins;
    }

    /// <summary>The first <paramref name="topK"/> indices by wins, descending, ties to the lower index (stable sort).</summary>
    public static IReadOnlyList<int> TopK(IReadOnlyList<double> wins, int topK) =>
        [.. Enumerable.Range(0, wins.Count).OrderByDescending(i => wins[i]).Take(topK)];

    /// <summary>The fusion prompt: the question, then the candidates best first, each under its 1-based rank and model name.</summary>
    public static string FusionPrompt(string question, IReadOnlyList<(string Model, string Answer)> ranked)
    {
        var prompt = new StringBuilder()
            .Append("Merge the candidate answers below into one better answer to the question.\n")
            .Append("Keep what each candidate gets right, drop its mistakes, and make the result accurate, helpful and concise.\n\n")
            .Append("Question: ").Append(question).Append("\n\n")
            .Append("The candidates are ordered from best to worse by a judge model:\n");
        for (var rank = 0; rank < ranked.Count; rank++)
        {
            prompt.Append("Candidate ").Append(rank + 1).Append(" (from model ").Append(ranked[rank].Model).Append("):\n")
                .Append(ranked[rank].Answer).Append("\n\n");
        }
        return prompt.Append("Write the final answer to the question, drawing on these candidates.\nFinal answer:").ToString();
    }
}
