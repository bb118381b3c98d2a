using System.Text.Json;
using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>The ground truth the general verifier sees (evaluation.md §2.4): `output`; else the option text when
/// `answer` is a label of `choices`; a list joined with ", "; else the answer as text; else "".</summary>
public static class VerifierGroundTruth
{
    /// <summary>The ground-truth text of <paramref name="item"/>.</summary>
    public static string Of(DatasetItem item)
    {
        if (item.Present("output") is { } output)
        {
            return Text(output);
        }
        if (item.Present("answer") is not { } answer)
        {
            return "";
        }
        if (answer.ValueKind == JsonValueKind.String)
        {
            var label = answer.GetString()!;
            foreach (var (key, text) in item.Choices())
            {
                if (key == label)
                {
                    return text ?? "None";
                }
            }
        }
        return Text(answer);
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(Text)),
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Null => "None",
        _ => value.GetRawText(),
    };
}
