namespace MoCo.Zoo.Suite;

/// <summary>One supervised example: the user message (as the evaluator would prompt it) and the response to learn.</summary>
public sealed record TrainingPair(string Prompt, string Response);
