using System.Text;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// The candidate-list formatter (methods-text.md §0.11): the texts of other models (answers, knowledge, feedback) shown to
/// a model, one labelled entry per text in the order given, each text inserted unchanged and followed by a line break —
/// "- text" bullets (knowledge card, feedback, refine) or numbered labels such as "Assistant 1: text" (structure).
/// </summary>
public static class CandidateList
{
    /// <summary>"- text\n" per text.</summary>
    public static string Bulleted(IEnumerable<string> texts) => Format(texts, _ => "- ");

    /// <summary>"<paramref name="label"/> k: text\n" per text, k = 1, 2, … in order (anonymous: the label names no model).</summary>
    public static string Numbered(IEnumerable<string> texts, string label) => Format(texts, k => $"{label} {k + 1}: ");

    /// <summary>Each text after its label (<paramref name="label"/> of its position), one per line.</summary>
    public static string Format(IEnumerable<string> texts, Func<int, string> label)
    {
        var list = new StringBuilder();
        var position = 0;
        foreach (var text in texts)
        {
            list.Append(label(position++)).Append(text).Append('\n');
        }
        return list.ToString();
    }

    /// <summary>Model indices 0…<paramref name="count"/>−1 in order, without <paramref name="excluded"/> (a model is not
    /// shown its own text).</summary>
    public static IEnumerable<int> Others(int count, int excluded) => Enumerable.Range(0, count).Where(i => i != excluded);
}
