using System.Reflection;

namespace MoCo.Evaluator.Prompts;

/// <summary>
/// The evaluator's prompt wording (evaluation.md §0, §3): MoCo.NET's own sentences with the reference's structure
/// and requested output format, kept as resource files. A folder given in <c>Moco:Evaluator:PromptDirectory</c>
/// replaces any of them by a file of the same name.
/// </summary>
public sealed class PromptTexts
{
    /// <summary>The built-in texts.</summary>
    public static PromptTexts Default { get; } = new(null);

    /// <summary>Loads the texts, files in <paramref name="overrideDirectory"/> first.</summary>
    public PromptTexts(string? overrideDirectory)
    {
        MultipleChoiceInstruction = Load("multiple_choice_instruction.txt", overrideDirectory).TrimEnd('\n');
        BoxInstruction = Load("box_instruction.txt", overrideDirectory).TrimEnd('\n');
        Verifier = new PromptTemplate("verifier_prompt.txt", Load("verifier_prompt.txt", overrideDirectory).TrimEnd('\n'),
            "question", "ground_truth", "student_answer");
        RewardJudge = new PromptTemplate("reward_judge_prompt.txt", Load("reward_judge_prompt.txt", overrideDirectory).TrimEnd('\n'),
            "request", "response");
    }

    /// <summary>The last line of a multiple-choice prompt: asks for the option's letter.</summary>
    public string MultipleChoiceInstruction { get; }

    /// <summary>The sentence after exact_match and f1_match inputs: asks for the answer in the literal form \box{ANSWER}.</summary>
    public string BoxInstruction { get; }

    /// <summary>The general verifier's prompt: the format TIGER-Lab/general-verifier was trained with.</summary>
    public PromptTemplate Verifier { get; }

    /// <summary>The prompt of a generative model standing in for the reward model (1–10 rating).</summary>
    public PromptTemplate RewardJudge { get; }

    private static string Load(string name, string? overrideDirectory)
    {
        if (overrideDirectory is not null && File.Exists(Path.Combine(overrideDirectory, name)))
        {
            return File.ReadAllText(Path.Combine(overrideDirectory, name));
        }
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("MoCo.Evaluator.Prompts." + name)
            ?? throw new InvalidOperationException($"resource {name} is missing from MoCo.Evaluator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
