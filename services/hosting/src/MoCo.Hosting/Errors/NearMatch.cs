namespace MoCo.Hosting.Errors;

/// <summary>"Did you mean" suggestions (config-and-cli.md §1.5) for any name a service could not find - config keys,
/// method ids, task names: names within edit distance 2, nearest first.</summary>
public static class NearMatch
{
    /// <summary>Candidates within distance 2 of <paramref name="name"/>, nearest first, at most three.</summary>
    public static IReadOnlyList<string> Find(string name, IEnumerable<string> candidates) =>
        candidates.Distinct(StringComparer.Ordinal).Select(c => (c, d: Distance(name, c))).Where(x => x.d <= 2)
            .OrderBy(x => x.d).ThenBy(x => x.c, StringComparer.Ordinal).Take(3).Select(x => x.c).ToList();

    /// <summary>`did you mean "a" or "b"? ` or empty.</summary>
    public static string Hint(IReadOnlyList<string> near) =>
        near.Count == 0 ? "" : $"did you mean {string.Join(" or ", near.Select(n => $"\"{n}\""))}? ";

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
