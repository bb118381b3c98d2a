using System.Reflection;
using System.Security.Cryptography;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The program a coding item runs (evaluation.md §2.8): the sandbox preamble, the code, `candidate` bound to the
/// target function, the item's tests, `check(candidate)`, and in `moco` (Q10) a line printing a marker chosen per
/// execution, which must reach stdout: a program that exits early with status 0 no longer passes.
/// </summary>
public static class TestProgram
{
    private static readonly Lazy<string> Preamble = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MoCo.Evaluator.Sandbox.preamble.py")!;
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>The program text and the completion marker (null in `reference`).</summary>
    public static (string Program, string? Marker) Build(string code, string function, string tests, CompatMode mode)
    {
        var program = $"{Preamble.Value}\n{code}\n\ncandidate = {function}\n\n{tests}\n\ncheck(candidate)\n";
        if (mode == CompatMode.Reference)
        {
            return (program, null);
        }
        var marker = "moco-sandbox-done-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return (program + $"__import__('sys').stdout.write('{marker}\\n')\n", marker);
    }
}
