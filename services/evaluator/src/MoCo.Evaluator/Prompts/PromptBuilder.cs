using System.Text;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;

namespace MoCo.Evaluator.Prompts;

/// <summary>
/// The prompt of an item for the evaluated model (evaluation.md §2): user-message content (the inference service
/// applies the chat template), never containing gold.
/// </summary>
public sealed class PromptBuilder(PromptTexts texts)
{
    /// <summary>The prompt of <paramref name="item"/> scored as <paramref name="type"/>.</summary>
    public string Build(TaskType type, DatasetItem item) => type switch
    {
        TaskType.MultipleChoice => MultipleChoice(item.String("question")!, item.Choices().Select(c => c.Text).ToList()),
        TaskType.ExactMatch or TaskType.F1Match => PythonText.RStrip(item.String("input")!) + "\n\n" + texts.BoxInstruction,
        TaskType.GeneralVerifier => GeneralVerifier(item),
        TaskType.Coding => item.FirstString("input", "question", "prompt")?.Value ?? "",
        _ => item.String("input") ?? "",
    };

    /// <summary>The multiple-choice layout (§2.1): the question, one line per option as "X) text" with positional
    /// letters (null texts shown as None), then the instruction; every line ends with a newline.</summary>
    public string MultipleChoice(string question, IReadOnlyList<string?> options)
    {
        var text = new StringBuilder(question).Append('\n');
        for (var i = 0; i < options.Count; i++)
        {
            text.Append(MultipleChoiceParser.Letter(i)).Append(") ").Append(options[i] ?? "None").Append('\n');
        }
        return text.Append(texts.MultipleChoiceInstruction).Append('\n').ToString();
    }

    /// <summary>general_verifier's prompt (§2.4): `input` verbatim, else the question (as multiple choice when it
    /// has choices), else `prompt`, else "".</summary>
    public string GeneralVerifier(DatasetItem item)
    {
        if (item.String("input") is { } input)
        {
            return input;
        }
        if (item.String("question") is { } question)
        {
            return item.Present("choices") is not null ? MultipleChoice(question, item.Choices().Select(c => c.Text).ToList()) : question;
        }
        return item.String("prompt") ?? "";
    }

    /// <summary>The question the verifier sees (§2.4): the multiple-choice layout when the item has a question and
    /// choices, else `input`, else `question`, else `prompt`, else "".</summary>
    public string VerifierQuestion(DatasetItem item)
    {
        if (item.String("question") is { } question && item.Present("choices") is not null)
        {
            return MultipleChoice(question, item.Choices().Select(c => c.Text).ToList());
        }
        return item.FirstString("input", "question", "prompt")?.Value ?? "";
    }
}
