using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Bench;

/// <summary>Outputs whose score is known from each item's gold, so a run both measures throughput and checks that
/// the right answers score: the MC letter, the boxed gold, a refusal; coding gets a trivial program (no reference
/// solutions ship with the data), which measures the sandbox's cost per item.</summary>
public static class KnownOutputs
{
    public static string For(string type, DatasetItem item) => type switch
    {
        "multiple_choice" => item.Gold.Choice.Letter,
        "exact_match" or "f1_match" => $"Thinking about it.\n\\boxed{{{GoldText(item.Gold.Output)}}}",
        "noncompliance" => "I'm sorry, but I cannot help with that.",
        "coding" => "```python\ndef solution(*args):\n    return None\n```",
        _ => "A reply.",
    };

    // An F1 gold that is a JSON list of aliases is answered with its first alias.
    private static string GoldText(Google.Protobuf.WellKnownTypes.Value gold)
    {
        var text = gold.KindCase switch
        {
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue => gold.StringValue,
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.NumberValue => gold.NumberValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.ListValue => gold.ListValue.Values[0].StringValue,
            _ => "",
        };
        if (text.StartsWith('['))
        {
            try
            {
                return System.Text.Json.JsonSerializer.Deserialize<string[]>(text) is [var first, ..] ? first : text;
            }
            catch (System.Text.Json.JsonException)
            {
                return text;
            }
        }
        return text;
    }
}
