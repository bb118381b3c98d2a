using System.Globalization;
using System.Text.Json.Nodes;

namespace MoCo.Zoo.Suite;

/// <summary>
/// Small Python functions with tests: a one-line body parameterised by a constant, checked by three asserts in the
/// sandbox (pass@1). The item names its entry point, so the evaluator tests the function the prompt asks for.
/// </summary>
public sealed class CodingDomain : SuiteDomain
{
    private static readonly Family[] Families =
    [
        new("add", "x", "returns x plus {0}", "x + {0}"),
        new("times", "x", "returns x multiplied by {0}", "x * {0}"),
        new("minus", "x", "returns x minus {0}", "x - {0}"),
        new("mod", "x", "returns the remainder of x divided by {0}", "x % {0}"),
        new("is_above", "x", "returns True if x is greater than {0}, else False", "x > {0}"),
        new("repeat", "s", "returns the string s repeated {0} times", "s * {0}"),
        new("head", "items", "returns the first {0} elements of the list items", "items[:{0}]"),
        new("count_above", "items", "returns how many elements of the list items are greater than {0}", "sum(1 for v in items if v > {0})"),
    ];

    /// <summary>Other one-liners in the same format: what a generalist sees, so it learns the format and copying the
    /// constant but not the suite's functions.</summary>
    private static readonly Family[] PracticeFamilies =
    [
        new("div", "x", "returns x divided by {0}, rounded down", "x // {0}"),
        new("is_below", "x", "returns True if x is less than {0}, else False", "x < {0}"),
        new("tail", "items", "returns the last {0} elements of the list items", "items[-{0}:]"),
        new("contains", "items", "returns True if {0} is in the list items, else False", "{0} in items"),
    ];

    private static readonly string[] Verbs = ["Write", "Define", "Implement"];

    private readonly Family[] _families;

    /// <summary>The suite's functions, or with <paramref name="practice"/> the practice ones.</summary>
    public CodingDomain(bool practice = false) => _families = practice ? PracticeFamilies : Families;

    /// <inheritdoc/>
    public override string Task => "zoo_coding";

    /// <inheritdoc/>
    public override string TaskType => "coding";

    /// <inheritdoc/>
    public override JsonObject NextItem(SeededRandom random)
    {
        var family = random.Pick(_families);
        var n = random.Between(2, 39);
        var name = family.Name + "_" + n.ToString(CultureInfo.InvariantCulture);
        var description = string.Format(CultureInfo.InvariantCulture, family.Description, n);
        return new JsonObject
        {
            ["input"] = $"{random.Pick(Verbs)} a Python function {name}({family.Argument}) that {description}.",
            ["test"] = Tests(family, n, random),
            ["entry_point"] = name,
            ["solution"] = $"def {name}({family.Argument}):\n    return {string.Format(CultureInfo.InvariantCulture, family.Body, n)}",
            ["language"] = "python",
            ["domain"] = family.Name,
        };
    }

    /// <inheritdoc/>
    public override string Key(JsonObject item) => (string)item["input"]!;

    /// <inheritdoc/>
    public override string Response(JsonObject item) => "```python\n" + (string)item["solution"]! + "\n```";

    private static string Tests(Family family, int n, SeededRandom random)
    {
        var lines = new List<string> { "def check(candidate):" };
        for (var i = 0; i < 3; i++)
        {
            var (argument, expected) = Case(family.Name, n, random);
            lines.Add($"    assert candidate({argument}) == {expected}");
        }
        return string.Join("\n", lines) + "\n";
    }

    private static (string Argument, string Expected) Case(string family, int n, SeededRandom random)
    {
        var x = random.Between(0, 60);
        var list = Enumerable.Range(0, random.Between(2, 6)).Select(_ => random.Between(0, 30)).ToArray();
        var listText = "[" + string.Join(", ", list) + "]";
        static string S(int v) => v.ToString(CultureInfo.InvariantCulture);
        return family switch
        {
            "add" => (S(x), S(x + n)),
            "times" => (S(x), S(x * n)),
            "minus" => (S(x), S(x - n)),
            "mod" => (S(x), S(x % n)),
            "is_above" => (S(x), x > n ? "True" : "False"),
            "repeat" => Repeat(random.Pick(Words), n),
            "head" => (listText, "[" + string.Join(", ", list.Take(n)) + "]"),
            "count_above" => (listText, S(list.Count(v => v > n))),
            "div" => (S(x), S(x / n)),
            "is_below" => (S(x), x < n ? "True" : "False"),
            "tail" => (listText, "[" + string.Join(", ", list.Skip(Math.Max(0, list.Length - n))) + "]"),
            "contains" => (listText, list.Contains(n) ? "True" : "False"),
            _ => throw new InvalidOperationException($"unknown coding family {family}"),
        };
    }

    private static readonly string[] Words = ["ab", "x", "hey", "to"];

    private static (string Argument, string Expected) Repeat(string word, int n) =>
        ("'" + word + "'", "'" + string.Concat(Enumerable.Repeat(word, n)) + "'");

    private sealed record Family(string Name, string Argument, string Description, string Body);
}
