namespace MoCo.Evaluator.Tasks;

/// <summary>What one task type scores with and needs (evaluation.md §2, §3.4, §5.1 ListTasks).</summary>
/// <param name="Type">The task type.</param>
/// <param name="Metric">Metric name of §2.11.</param>
/// <param name="ScoreMin">Smallest item score; null = unbounded.</param>
/// <param name="ScoreMax">Largest item score; null = unbounded.</param>
/// <param name="RequiredFields">Required item fields (§1.3), alternatives joined by "|".</param>
/// <param name="NeedsVerifier">Scoring calls the verifier model.</param>
/// <param name="NeedsRewardModel">Scoring calls the reward model.</param>
/// <param name="NeedsEncoder">Scoring calls the encoder.</param>
/// <param name="NeedsSandbox">Scoring runs programs in the sandbox.</param>
/// <param name="OfflineStatus">The §3.4 status line.</param>
public sealed record TaskTypeSpec(
    TaskType Type,
    string Metric,
    double? ScoreMin,
    double? ScoreMax,
    IReadOnlyList<string> RequiredFields,
    bool NeedsVerifier,
    bool NeedsRewardModel,
    bool NeedsEncoder,
    bool NeedsSandbox,
    string OfflineStatus)
{
    /// <summary>The spec of <paramref name="type"/>.</summary>
    public static TaskTypeSpec Of(TaskType type) => Specs[(int)type];

    private const string Rules = "faithful (rules)";

    private static readonly TaskTypeSpec[] Specs =
    [
        new(TaskType.MultipleChoice, "accuracy", 0, 1, ["question", "choices", "answer"], false, false, false, false, Rules),
        new(TaskType.ExactMatch, "exact_match", 0, 1, ["input", "output"], false, false, false, false, Rules),
        new(TaskType.F1Match, "f1", 0, 1, ["input", "output"], false, false, false, false, Rules),
        new(TaskType.GeneralVerifier, "verifier_accuracy", 0, 1, ["input|question|prompt"], true, false, false, false,
            "faithful only with TIGER-Lab/general-verifier in the catalogue"),
        new(TaskType.Noncompliance, "noncompliance_rate", 0, 1, ["input", "category"], false, false, false, false, Rules),
        new(TaskType.RewardModel, "reward", null, null, ["input"], false, true, false, false,
            "faithful only with the 8B Skywork reward model (Skywork/Skywork-Reward-Llama-3.1-8B-v0.2) in the catalogue"),
        new(TaskType.TextGeneration, "reward", null, null, ["input"], false, true, false, false,
            "dev: faithful only with the 8B Skywork reward model in the catalogue; test: unscored"),
        new(TaskType.Coding, "pass@1", 0, 1, ["input|question|prompt", "test|test_code"], false, false, false, true,
            "faithful with a Python 3.8+ interpreter for the sandbox"),
        new(TaskType.GenerationDiversity, "diversity", 0, 2, ["input", "reference"], false, false, true, false,
            "not faithful until libmoco has a RoBERTa encoder (flag encoder_substituted)"),
    ];
}
