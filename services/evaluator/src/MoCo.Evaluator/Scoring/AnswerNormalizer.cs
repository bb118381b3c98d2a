using System.Text;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The answer normalisations of evaluation.md §2.0. <see cref="Normalize"/> is the reference's: lower, delete the
/// 32 ASCII punctuation characters, replace the whole words a/an/the by a space, collapse whitespace — with its
/// kept consequences ("1,600" = "1600", "3.5" = "35", `\frac{1}{5}` → "frac15"). <see cref="Fallback"/> is the
/// `moco` rule used on both sides when the gold normalises to "" (Q3).
/// </summary>
public static class AnswerNormalizer
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>normalize(s).</summary>
    public static string Normalize(string s)
    {
        var lowered = PythonText.Lower(s);
        var kept = new StringBuilder(lowered.Length);
        foreach (var c in lowered)
        {
            if (Punctuation.IndexOf(c) < 0)
            {
                kept.Append(c);
            }
        }
        return string.Join(' ', PythonText.Split(RemoveArticles(kept.ToString())));
    }

    /// <summary>The fallback normalisation (Q3): lower, delete all whitespace, delete trailing dots, and reduce
    /// "(x)" with a single character x to x.</summary>
    public static string Fallback(string s)
    {
        var lowered = PythonText.Lower(s);
        var kept = new StringBuilder(lowered.Length);
        foreach (var c in lowered)
        {
            if (!PythonText.IsSpace(c))
            {
                kept.Append(c);
            }
        }
        var text = kept.ToString().TrimEnd('.');
        return text.Length == 3 && text[0] == '(' && text[2] == ')' ? text[1].ToString() : text;
    }

    // re.sub(r'\b(a|an|the)\b', ' ', text) with Python's word characters, left to right, non-overlapping.
    private static string RemoveArticles(string text)
    {
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var length = PythonText.IsWordAt(text, i - 1) ? 0 : ArticleAt(text, i);
            if (length > 0)
            {
                result.Append(' ');
                i += length;
            }
            else
            {
                result.Append(text[i]);
                i++;
            }
        }
        return result.ToString();
    }

    // Alternatives in the reference's order (a, an, the); each must end at a word boundary.
    private static int ArticleAt(string text, int i)
    {
        foreach (var article in (ReadOnlySpan<string>)["a", "an", "the"])
        {
            if (string.CompareOrdinal(text, i, article, 0, article.Length) == 0 && !PythonText.IsWordAt(text, i + article.Length))
            {
                return article.Length;
            }
        }
        return 0;
    }
}
