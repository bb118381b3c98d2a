using MoCo.Contracts.V1;

namespace MoCo.Evaluator.Judges;

/// <summary>One model role of the evaluator (evaluation.md §3): its config key, default model and the inference RPC
/// it uses.</summary>
/// <param name="Name">Role name for messages: verifier, reward model, encoder.</param>
/// <param name="ConfigKey">The config key that sets the model.</param>
/// <param name="DefaultModel">The reference's model.</param>
public sealed record JudgeRole(string Name, string ConfigKey, string DefaultModel)
{
    /// <summary>The general verifier (§3.1).</summary>
    public static readonly JudgeRole Verifier = new("verifier", "evaluation.verifier.model", "TIGER-Lab/general-verifier");
    /// <summary>The reward model (§3.2).</summary>
    public static readonly JudgeRole RewardModel = new("reward model", "evaluation.reward_model.model", "Skywork/Skywork-Reward-Llama-3.1-8B-v0.2");
    /// <summary>The diversity encoder (§3.3).</summary>
    public static readonly JudgeRole Encoder = new("encoder", "evaluation.diversity.encoder", "FacebookAI/roberta-base");
}

/// <summary>The models of one Evaluate call: the header's overrides over the defaults (config `evaluation.*`).</summary>
/// <param name="Verifier">Verifier model.</param>
/// <param name="RewardModel">Reward model.</param>
/// <param name="RewardIsJudge">The reward model is a generative model giving a 1–10 rating (kind `judge`).</param>
/// <param name="Encoder">Diversity encoder.</param>
public sealed record JudgeModels(string Verifier, string RewardModel, bool RewardIsJudge, string Encoder)
{
    /// <summary>The effective models of a header.</summary>
    public static JudgeModels From(EvaluatorModels? wire) => new(
        Pick(wire?.Verifier, JudgeRole.Verifier),
        Pick(wire?.RewardModel, JudgeRole.RewardModel),
        wire?.RewardModelKind == RewardModelKind.Judge,
        Pick(wire?.Encoder, JudgeRole.Encoder));

    private static string Pick(string? value, JudgeRole role) => string.IsNullOrWhiteSpace(value) ? role.DefaultModel : value;
}
