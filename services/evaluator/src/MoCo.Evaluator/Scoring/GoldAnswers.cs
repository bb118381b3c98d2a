using System.Text.Json;
using MoCo.Evaluator.Datasets;

namespace MoCo.Evaluator.Scoring;

/// <summary>
/// The gold answers of exact_match and f1_match items (evaluation.md §2.2, §2.3): a string; a number as its JSON
/// text (A6); an array of strings as alternatives (max score, A6); null is invalid (Q8: 0.0 with flag
/// invalid_gold in `moco`, "" in `reference`). For F1, a string that is itself a list of aliases counts as
/// several answers: in `moco` whenever it parses as a JSON array of strings (Q4), in `reference` only for task
/// popqa, split the reference's way (delete [ ] " ' and cut at every comma).
/// </summary>
public static class GoldAnswers
{
    /// <summary>Exact-match golds; null when the gold is null in `moco` (the item is invalid).</summary>
    public static IReadOnlyList<string>? ForExactMatch(DatasetItem item, CompatMode mode) => Basic(item.Get("output"), mode);

    /// <summary>F1 golds; null when the gold is null in `moco`.</summary>
    public static IReadOnlyList<string>? ForF1(DatasetItem item, CompatMode mode, string task)
    {
        var output = item.Get("output");
        if (output is not { ValueKind: JsonValueKind.String } text)
        {
            return Basic(output, mode);
        }
        var gold = text.GetString()!;
        if (mode == CompatMode.Reference)
        {
            return task == "popqa" ? PopQaSplit(gold) : [gold];
        }
        return JsonStringArray(PythonText.Strip(gold)) ?? [gold];
    }

    private static IReadOnlyList<string>? Basic(JsonElement? output, CompatMode mode) => output switch
    {
        { ValueKind: JsonValueKind.String } s => [s.GetString()!],
        { ValueKind: JsonValueKind.Number } n => [n.GetRawText()],
        { ValueKind: JsonValueKind.Array } a => [.. a.EnumerateArray().Select(e => e.GetString()!)],
        _ => mode == CompatMode.Reference ? [""] : null,
    };

    private static List<string> PopQaSplit(string gold)
    {
        var stripped = gold.Replace("[", "").Replace("]", "").Replace("\"", "").Replace("'", "");
        return [.. stripped.Split(',').Select(PythonText.Strip)];
    }

    private static List<string>? JsonStringArray(string text)
    {
        if (!text.StartsWith('['))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                ? [.. root.EnumerateArray().Select(e => e.GetString()!)]
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
