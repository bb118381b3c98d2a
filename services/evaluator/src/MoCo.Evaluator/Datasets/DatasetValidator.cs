using System.Text.Json;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Datasets;

/// <summary>
/// Checks every item of a split against a task type (evaluation.md §1.3). "Present" means present and not
/// null. Errors name file, split, index and field (`mydata.json: test[17].choices: expected an object mapping
/// option labels to text, got an array`); warnings keep the codes of the spec.
/// </summary>
public static class DatasetValidator
{
    /// <summary>Option labels allowed at most (positional letters A–Z).</summary>
    public const int MaxChoices = 26;

    /// <summary>Validates split <paramref name="split"/> of <paramref name="file"/> as <paramref name="type"/>.</summary>
    public static ValidationReport Validate(DatasetFile file, DatasetSplit split, TaskType type)
    {
        var check = new Checker(file.FileName, split.Name(), type);
        foreach (var item in file.Items(split))
        {
            if (item.Json.ValueKind != JsonValueKind.Object)
            {
                continue; // the reader already refused the file
            }
            check.Item = item;
            switch (type)
            {
                case TaskType.MultipleChoice:
                    MultipleChoice(check, item);
                    break;
                case TaskType.ExactMatch:
                case TaskType.F1Match:
                    check.RequireString("input");
                    Gold(check, item);
                    break;
                case TaskType.GeneralVerifier:
                    GeneralVerifier(check, item);
                    break;
                case TaskType.Noncompliance:
                    check.RequireString("input");
                    check.RequireString("category");
                    break;
                case TaskType.RewardModel:
                case TaskType.TextGeneration:
                    check.RequireString("input");
                    break;
                case TaskType.Coding:
                    Coding(check, item);
                    break;
                case TaskType.GenerationDiversity:
                    check.RequireString("input");
                    References(check, item);
                    break;
            }
        }
        return new ValidationReport(check.Errors, check.Warnings);
    }

    private static void MultipleChoice(Checker check, DatasetItem item)
    {
        check.RequireString("question");
        if (item.Present("choices") is not { } choices)
        {
            check.Error("choices", "missing: a multiple_choice item needs an object mapping option labels to text", "add \"choices\": {\"A\": \"…\", \"B\": \"…\"}");
            return;
        }
        if (choices.ValueKind != JsonValueKind.Object)
        {
            check.Error("choices", $"expected an object mapping option labels to text, got {JsonKinds.Describe(choices.ValueKind)}",
                "write the options as {\"A\": \"…\", \"B\": \"…\"}");
            return;
        }
        var labels = new List<string>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in choices.EnumerateObject())
        {
            var field = $"choices.{option.Name}";
            if (labels.Contains(option.Name))
            {
                check.Error(field, $"option label \"{option.Name}\" repeats", "give every option its own label");
                continue;
            }
            labels.Add(option.Name);
            switch (option.Value.ValueKind)
            {
                case JsonValueKind.Null:
                    check.Warn(field, "option_null", "option text is null: shown as None, never matched");
                    break;
                case JsonValueKind.String:
                    var text = option.Value.GetString()!;
                    if (text.Length == 0)
                    {
                        check.Warn(field, "option_empty", "option text is empty: skipped by the parser (moco), matches every response (reference)");
                    }
                    else if (texts.TryGetValue(text, out var first))
                    {
                        check.Warn(field, "option_duplicate_text", $"same text as choices.{first}: the parser picks the first");
                    }
                    else
                    {
                        texts[text] = option.Name;
                    }
                    break;
                default:
                    check.Error(field, $"expected option text (a string), got {JsonKinds.Describe(option.Value.ValueKind)}", "write the option text as a string");
                    break;
            }
        }
        if (labels.Count is 0 or > MaxChoices)
        {
            check.Error("choices", $"expected 1–{MaxChoices} options, got {labels.Count}", "give the item between 1 and 26 options");
        }
        else if (!labels.Select((label, i) => label == MultipleChoiceParser.Letter(i).ToString()).All(x => x))
        {
            check.Warn("choices", "mc_non_letter_keys",
                $"option labels {string.Join(", ", labels)} are not the positional letters: the gold is its positional letter (moco), it never scores (reference, Q1)");
        }

        switch (item.Present("answer"))
        {
            case null:
                check.Error("answer", "missing: a multiple_choice item needs the label of its correct option", "add \"answer\": one of the choices' labels");
                break;
            case { ValueKind: JsonValueKind.String } answer when labels.Contains(answer.GetString()!):
                break;
            case { ValueKind: JsonValueKind.String } answer:
                check.Error("answer", $"\"{answer.GetString()}\" is not a label of choices ({string.Join(", ", labels)})", "set answer to one of the choices' labels");
                break;
            case { } answer:
                check.Error("answer", $"expected a label of choices (a string), got {JsonKinds.Describe(answer.ValueKind)}", "write the answer label as a string");
                break;
        }
    }

    private static void Gold(Checker check, DatasetItem item)
    {
        switch (item.Get("output"))
        {
            case null:
                check.Error("output", "missing: the gold answer is required", "add \"output\": the gold answer");
                break;
            case { ValueKind: JsonValueKind.Null }:
                check.Warn("output", "invalid_gold", "gold is null: scored 0.0 with flag invalid_gold (moco), as \"\" (reference)");
                break;
            case { ValueKind: JsonValueKind.String or JsonValueKind.Number }:
                break;
            case { ValueKind: JsonValueKind.Array } array when array.EnumerateArray().All(a => a.ValueKind == JsonValueKind.String):
                break;
            case { } other:
                check.Error("output", $"expected a string, a number or an array of strings, got {JsonKinds.Describe(other.ValueKind)}",
                    "write the gold as a string (alternatives as an array of strings)");
                break;
        }
    }

    private static void GeneralVerifier(Checker check, DatasetItem item)
    {
        if (item.FirstString("input", "question", "prompt") is null)
        {
            check.Error("input", "missing: a general_verifier item needs one of input, question or prompt (a string)", "add \"input\": the prompt");
        }
        if (item.Present("input") is null && item.Present("question") is not null && item.Present("choices") is { ValueKind: not JsonValueKind.Object } choices)
        {
            check.Error("choices", $"expected an object mapping option labels to text, got {JsonKinds.Describe(choices.ValueKind)}",
                "write the options as {\"A\": \"…\", \"B\": \"…\"}");
        }
        if (item.Present("output") is null && item.Present("answer") is null)
        {
            check.Warn("output", "invalid_gold", "no output or answer: the verifier compares with an empty ground truth");
        }
    }

    private static void Coding(Checker check, DatasetItem item)
    {
        if (item.FirstString("input", "question", "prompt") is null)
        {
            check.Error("input", "missing: a coding item needs one of input, question or prompt (a string)", "add \"input\": the task");
        }
        var test = item.Present("test") is not null ? "test" : item.Present("test_code") is not null ? "test_code" : null;
        if (test is null)
        {
            check.Error("test", "missing: a coding item needs its tests in test or test_code", "add \"test\": Python code defining check(candidate)");
        }
        else if (item.String(test) is not { } code)
        {
            check.Error(test, $"expected Python test code (a string), got {JsonKinds.Describe(item.Get(test)!.Value.ValueKind)}", "write the tests as a string");
        }
        else if (code.Length == 0)
        {
            check.Warn(test, "no_tests", "empty tests: the item scores 0.0 with flag invalid_gold");
        }
        switch (item.Present("language"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.String } language when language.GetString() == "python":
                break;
            case { } language:
                check.Error("language", $"{language.GetRawText()} is not supported: only python items can be scored (the reference scored others 0.0 silently)",
                    "remove the item or set \"language\": \"python\"");
                break;
        }
    }

    private static void References(Checker check, DatasetItem item)
    {
        switch (item.Present("reference"))
        {
            case { ValueKind: JsonValueKind.Array } array when array.GetArrayLength() > 0 && array.EnumerateArray().All(r => r.ValueKind == JsonValueKind.String):
                break;
            case null:
                check.Error("reference", "missing: a generation_diversity item needs a non-empty array of reference texts", "add \"reference\": [\"…\"]");
                break;
            case { } other:
                check.Error("reference", $"expected a non-empty array of strings, got {(other.ValueKind == JsonValueKind.Array ? "an empty array or non-strings" : JsonKinds.Describe(other.ValueKind))}",
                    "write the references as an array of strings");
                break;
        }
    }

    private sealed class Checker(string file, string split, TaskType type)
    {
        public List<Problem> Errors { get; } = [];
        public List<DatasetWarning> Warnings { get; } = [];
        public DatasetItem Item { get; set; } = null!;

        public void RequireString(string field)
        {
            switch (Item.Get(field))
            {
                case null:
                    Error(field, $"missing: required for {type.Name()}", $"add \"{field}\" to the item");
                    break;
                case { ValueKind: JsonValueKind.String }:
                    break;
                case { } value:
                    Error(field, $"expected a string, got {JsonKinds.Describe(value.ValueKind)}", $"write \"{field}\" as a string");
                    break;
            }
        }

        public void Error(string field, string problem, string fix)
        {
            var path = $"{split}[{Item.Index}].{field}";
            Errors.Add(new Problem(path, Reasons.InvalidDataset, $"{file}: {path}: {problem}",
                new Dictionary<string, string> { ["fix"] = fix, ["file"] = file }));
        }

        public void Warn(string field, string code, string message) => Warnings.Add(new DatasetWarning(Item.Index, field, code, message));
    }
}
