using System.Text.RegularExpressions;
using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// Which function of the code the tests call as `candidate` (evaluation.md §2.8). The reference takes the first
/// `def NAME(` anywhere, often a helper (Q7). `moco` prefers the target: the item's entry_point, else the last
/// `def NAME(` of the prompt (HumanEval), else the first call after `assert` in the prompt, skipping builtins (MBPP)
/// — used when a line of the code starts with `def NAME(`, else the reference rule.
/// </summary>
public static partial class TargetFunction
{
    private const string S = PythonText.SpaceClass;

    private static readonly HashSet<string> NotTargets = new(StringComparer.Ordinal)
    {
        "int", "float", "str", "set", "sorted", "list", "tuple", "abs", "round", "len", "math.isclose",
    };

    [GeneratedRegex(@"def" + S + @"+(\w+)" + S + @"*\(", RegexOptions.CultureInvariant)]
    private static partial Regex AnyDef();

    [GeneratedRegex(@"assert" + S + @"(.*)", RegexOptions.CultureInvariant)]
    private static partial Regex Assert();

    [GeneratedRegex(@"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)" + S + @"*\(", RegexOptions.CultureInvariant)]
    private static partial Regex Call();

    /// <summary>The function name to bind to `candidate`; null when the code defines none.</summary>
    public static string? Find(string code, DatasetItem item, string prompt, CompatMode mode)
    {
        if (mode == CompatMode.Moco && Target(item, prompt) is { } target
            && Regex.IsMatch(code, @"^def" + S + "+" + Regex.Escape(target) + S + @"*\(", RegexOptions.Multiline | RegexOptions.CultureInvariant))
        {
            return target;
        }
        var first = AnyDef().Match(code);
        return first.Success ? first.Groups[1].Value : null;
    }

    private static string? Target(DatasetItem item, string prompt)
    {
        if (item.String("entry_point") is { Length: > 0 } entryPoint)
        {
            return entryPoint;
        }
        var defs = AnyDef().Matches(prompt);
        if (defs.Count > 0)
        {
            return defs[^1].Groups[1].Value;
        }
        foreach (Match assert in Assert().Matches(prompt))
        {
            foreach (Match call in Call().Matches(assert.Groups[1].Value))
            {
                if (!NotTargets.Contains(call.Groups[1].Value))
                {
                    return call.Groups[1].Value;
                }
            }
        }
        return null;
    }
}
