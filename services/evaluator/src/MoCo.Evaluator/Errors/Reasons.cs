namespace MoCo.Evaluator.Errors;

/// <summary>The ErrorInfo reasons the evaluator sends (common.proto ErrorReason, as strings).</summary>
public static class Reasons
{
    /// <summary>A request field has a value outside its range, type or allowed set.</summary>
    public const string InvalidValue = "INVALID_VALUE";
    /// <summary>A field the call requires is unset or empty.</summary>
    public const string MissingField = "MISSING_FIELD";
    /// <summary>No dataset file for the task in the data path.</summary>
    public const string TaskNotFound = "TASK_NOT_FOUND";
    /// <summary>The dataset file has no such split.</summary>
    public const string SplitNotFound = "SPLIT_NOT_FOUND";
    /// <summary>The view id cannot be resolved.</summary>
    public const string ViewNotFound = "VIEW_NOT_FOUND";
    /// <summary>The dataset file changed under a view.</summary>
    public const string ViewChanged = "VIEW_CHANGED";
    /// <summary>Dataset items do not fit the task type, or the file is malformed.</summary>
    public const string InvalidDataset = "INVALID_DATASET";
    /// <summary>A judge, reward model or encoder the task type needs is missing.</summary>
    public const string JudgeMissing = "JUDGE_MISSING";
    /// <summary>No usable sandbox.</summary>
    public const string SandboxUnavailable = "SANDBOX_UNAVAILABLE";
    /// <summary>A prompt or conversation does not fit the model's context.</summary>
    public const string PromptTooLong = "PROMPT_TOO_LONG";
}
