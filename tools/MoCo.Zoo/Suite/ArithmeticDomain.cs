using System.Globalization;
using System.Text.Json.Nodes;

namespace MoCo.Zoo.Suite;

/// <summary>Multi-digit addition and subtraction, scored by exact match on the boxed result.</summary>
public sealed class ArithmeticDomain : SuiteDomain
{
    /// <inheritdoc/>
    public override string Task => "zoo_arithmetic";

    /// <inheritdoc/>
    public override string TaskType => "exact_match";

    /// <inheritdoc/>
    public override JsonObject NextItem(SeededRandom random)
    {
        var digits = random.Between(1, 3);
        var a = random.Between(digits == 1 ? 0 : Pow10(digits - 1), Pow10(digits) - 1);
        var b = random.Between(0, Pow10(random.Between(1, digits)) - 1);
        var add = random.Next(3) != 0;
        if (!add && b > a)
        {
            (a, b) = (b, a);
        }
        var result = add ? a + b : a - b;
        return new JsonObject
        {
            ["input"] = string.Create(CultureInfo.InvariantCulture, $"What is {a} {(add ? '+' : '-')} {b}?"),
            ["output"] = result.ToString(CultureInfo.InvariantCulture),
            ["domain"] = add ? "addition" : "subtraction",
        };
    }

    /// <inheritdoc/>
    public override string Key(JsonObject item) => (string)item["input"]!;

    /// <inheritdoc/>
    public override string Response(JsonObject item) => "\\box{" + (string)item["output"]! + "}";

    private static int Pow10(int n) => n switch { 0 => 1, 1 => 10, 2 => 100, _ => 1000 };
}
