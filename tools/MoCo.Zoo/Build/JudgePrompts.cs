using MoCo.Evaluator.Prompts;

namespace MoCo.Zoo.Build;

/// <summary>
/// The two questions zoo/judge learns and is measured on, in the evaluator's own prompts: rate a response (the
/// generative reward-judge prompt, answered "Rating: n") and verify an answer against the ideal one (the verifier
/// prompt, answered "Final Decision: Yes/No").
/// </summary>
public static class JudgePrompts
{
    /// <summary>The rating the judge learns for a right response.</summary>
    public const int GoodRating = 9;

    /// <summary>The rating the judge learns for a wrong response.</summary>
    public const int BadRating = 2;

    /// <summary>The reward-judge prompt of <paramref name="request"/> and <paramref name="response"/>.</summary>
    public static string Rating(string request, string response) =>
        PromptTexts.Default.RewardJudge.Render(new Dictionary<string, string> { ["request"] = request, ["response"] = response });

    /// <summary>The verifier prompt of <paramref name="request"/>, its ideal response and the response to verify.</summary>
    public static string Verification(string request, string ideal, string response) =>
        PromptTexts.Default.Verifier.Render(new Dictionary<string, string> { ["question"] = request, ["ground_truth"] = ideal, ["student_answer"] = response });

    /// <summary>The answer the judge learns to a rating question.</summary>
    public static string RatingAnswer(bool good) => $"Rating: {(good ? GoodRating : BadRating)}";

    /// <summary>The answer the judge learns to a verification question.</summary>
    public static string VerificationAnswer(bool good) => good ? "Final Decision: Yes" : "Final Decision: No";
}
