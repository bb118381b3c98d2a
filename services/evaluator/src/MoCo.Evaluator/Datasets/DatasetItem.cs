using System.Globalization;
using System.Text.Json;

namespace MoCo.Evaluator.Datasets;

/// <summary>One item of a split: its 0-based index and its JSON object, read-only. Items are addressed by index
/// (A3); the id is only a label.</summary>
public sealed class DatasetItem(int index, JsonElement json)
{
    /// <summary>0-based index in the split.</summary>
    public int Index { get; } = index;

    /// <summary>The item's JSON object.</summary>
    public JsonElement Json { get; } = json;

    /// <summary>The item id as text: a string as is, a number as its JSON text, else the index.</summary>
    public string Id => Get("id") switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString()!,
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => Index.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The field's value when present (a JSON null included); null when absent.</summary>
    public JsonElement? Get(string field) => Json.TryGetProperty(field, out var value) ? value : null;

    /// <summary>The field's value when present and not null ("present" in evaluation.md §1.3).</summary>
    public JsonElement? Present(string field) => Get(field) is { ValueKind: not JsonValueKind.Null } value ? value : null;

    /// <summary>The field when it is a string; null otherwise.</summary>
    public string? String(string field) => Get(field) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>The first of <paramref name="fields"/> that is a string, with its name; null when none is.</summary>
    public (string Field, string Value)? FirstString(params ReadOnlySpan<string> fields)
    {
        foreach (var field in fields)
        {
            if (String(field) is { } value)
            {
                return (field, value);
            }
        }
        return null;
    }

    /// <summary>The options of a multiple-choice item in file order: label and text (null for a JSON null).</summary>
    public IReadOnlyList<(string Label, string? Text)> Choices()
    {
        if (Get("choices") is not { ValueKind: JsonValueKind.Object } choices)
        {
            return [];
        }
        return choices.EnumerateObject()
            .Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null))
            .ToList();
    }

    /// <summary>The field as display text for grouping and breakdowns: a string as is, anything else present as
    /// its JSON text; null when absent or null.</summary>
    public string? Text(string field) => Present(field) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { } other => other.GetRawText(),
        null => null,
    };
}
