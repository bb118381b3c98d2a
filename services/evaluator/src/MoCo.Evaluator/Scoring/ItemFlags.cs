namespace MoCo.Evaluator.Scoring;

/// <summary>Item flag names (ItemResult.flags, EvaluationSummary.flag_counts).</summary>
public static class ItemFlags
{
    /// <summary>The output was null and scored as "" (A1).</summary>
    public const string EmptyOutput = "empty_output";
    /// <summary>The gold is null or the tests are empty: 0.0, counted in n_invalid_gold (Q8).</summary>
    public const string InvalidGold = "invalid_gold";
    /// <summary>No score is computed by design (text_generation test).</summary>
    public const string Unscored = "unscored";
    /// <summary>A verifier other than TIGER-Lab/general-verifier judged the item.</summary>
    public const string JudgeSubstituted = "judge_substituted";
    /// <summary>A classification model other than the Skywork reward model scored the item.</summary>
    public const string RewardModelSubstituted = "reward_model_substituted";
    /// <summary>A generative model's 1–10 rating stands in for the reward model.</summary>
    public const string RewardJudgeGenerative = "reward_judge_generative";
    /// <summary>An encoder other than RoBERTa (or a decoder) embedded the texts.</summary>
    public const string EncoderSubstituted = "encoder_substituted";
    /// <summary>The program ran without namespace isolation (rlimits and the preamble only).</summary>
    public const string SandboxWeak = "sandbox_weak";
    /// <summary>The code defines no function to test: 0.0.</summary>
    public const string NoFunction = "no_function";
    /// <summary>The program's stdout or stderr exceeded the capture cap; the rest was discarded.</summary>
    public const string OutputTruncated = "output_truncated";
}
