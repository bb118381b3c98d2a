namespace MoCo.Evaluator.Tasks;

/// <summary>The nine task types of evaluation.md §2, in the spec's order.</summary>
public enum TaskType
{
    /// <summary>multiple_choice (§2.1): accuracy of the parsed option letter.</summary>
    MultipleChoice,
    /// <summary>exact_match (§2.2): normalised exact match of the extracted answer.</summary>
    ExactMatch,
    /// <summary>f1_match (§2.3): token F1 of the extracted answer.</summary>
    F1Match,
    /// <summary>general_verifier (§2.4): a verifier model's Yes/No verdict.</summary>
    GeneralVerifier,
    /// <summary>noncompliance (§2.5): refusal rules.</summary>
    Noncompliance,
    /// <summary>reward_model (§2.6): a reward model's logit.</summary>
    RewardModel,
    /// <summary>text_generation (§2.7): reward on dev, unscored on test.</summary>
    TextGeneration,
    /// <summary>coding (§2.8): pass@1 of the dataset's tests in the sandbox.</summary>
    Coding,
    /// <summary>generation_diversity (§2.9): 1 − mean cosine to the references.</summary>
    GenerationDiversity,
}

/// <summary>The wire names of <see cref="TaskType"/> (config `task_type`, dataset `task_type`).</summary>
public static class TaskTypeNames
{
    private static readonly string[] Names =
    [
        "multiple_choice", "exact_match", "f1_match", "general_verifier", "noncompliance", "reward_model",
        "text_generation", "coding", "generation_diversity",
    ];

    /// <summary>Every task type in §2 order.</summary>
    public static IReadOnlyList<TaskType> All { get; } = Enum.GetValues<TaskType>();

    /// <summary>The wire name, e.g. "multiple_choice".</summary>
    public static string Name(this TaskType type) => Names[(int)type];

    /// <summary>Parses a wire name; false for anything else (names are case-sensitive, as in configs).</summary>
    public static bool TryParse(string? name, out TaskType type)
    {
        var i = Array.IndexOf(Names, name);
        type = i < 0 ? default : (TaskType)i;
        return i >= 0;
    }

    /// <summary>All wire names joined for error messages.</summary>
    public static string Joined => string.Join(", ", Names);
}
