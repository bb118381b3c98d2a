using System.Text.Json;

namespace MoCo.Models.Tests.Tokenization.Fixtures;

/// <summary>
/// The texts every tokenizer is checked on. Tokenization/TestData/corpus.json (shared with the golden generator in
/// tools/tokenizer-fixtures) covers code, emoji, CJK and other scripts, whitespace runs, numbers and special
/// tokens; the cases here add what JSON cannot carry or is better generated.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string[]> Shared = new(() =>
        JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Tokenization", "TestData", "corpus.json")))!);

    /// <summary>The shared texts.</summary>
    public static IReadOnlyList<string> Texts => Shared.Value;

    /// <summary>Shared texts plus lone surrogates, long single-character runs and a long mixed paragraph.</summary>
    public static IEnumerable<string> Extended()
    {
        foreach (string text in Texts)
        {
            yield return text;
        }
        yield return "lone high \uD83D surrogate";
        yield return "lone low \uDE00 surrogate and pair \uD83D\uDE00";
        yield return "\uD800";
        yield return new string(' ', 3000);
        yield return new string('a', 5000);
        yield return string.Concat(Enumerable.Repeat("ab", 2000));
        yield return string.Concat(Enumerable.Repeat("数据", 700));
        yield return string.Join(' ', Texts);
    }
}
