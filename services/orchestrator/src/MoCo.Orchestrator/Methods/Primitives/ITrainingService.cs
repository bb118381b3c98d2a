using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One SFT example: a prompt as methods build it (a `&lt;begin&gt;` in it starts the prefill, as in
/// generation) and the completion the model learns to answer with.</summary>
public sealed record SftExample(string Prompt, string Completion);

/// <summary>One DPO example: a prompt, the preferred and the rejected completion.</summary>
public sealed record PreferenceExample(string Prompt, string Chosen, string Rejected);

/// <summary>GRPO as text_agglm configures it (methods-text.md §6): peak learning rate, AdamW weight decay, schedule
/// (`cosine`, `linear` or `constant`, warmup 0.1), epochs over the prompts, G completions per prompt (one prompt per
/// optimizer step), and the rollouts' sampling temperature (which also divides the loss's logits) and length.</summary>
public sealed record PolicyGradientSettings(double LearningRate, double WeightDecay, string Schedule, int Epochs, int GroupSize, double Temperature,
    int MaxNewTokens);

/// <summary>One completion the trainer sampled: the prompt's index in the job, its sample index in the group, and the
/// text decoded without special tokens (no `&lt;/think&gt;` stripping).</summary>
public sealed record PolicyRollout(int Example, int Sample, string Text);

/// <summary>The rewards of a batch of rollouts, one per rollout in order.</summary>
public delegate Task<IReadOnlyList<double>> RolloutRewards(IReadOnlyList<PolicyRollout> rollouts, CancellationToken cancellationToken);

/// <summary>A trained model: its id (Generate and Score take it at once), the loss of its last step (null when the
/// model was found already trained by another run), and whether this call reused a model instead of training.</summary>
public sealed record TrainedModel(string ModelId, double? FinalLoss, bool Reused);

/// <summary>LoRA training on the inference service (methods-text.md §0.9). Each job is keyed like a call
/// (config-and-cli.md §5.2: base fingerprint, examples and settings); a job whose model is still available is not run
/// again, so a resumed run reuses its trained models and retrains only those the service no longer has.</summary>
public interface ITrainingService
{
    /// <summary>Supervised fine-tuning of <paramref name="baseModel"/> on <paramref name="examples"/>.</summary>
    /// <exception cref="ArgumentException">No examples.</exception>
    Task<TrainedModel> SftAsync(CallSite site, string baseModel, IReadOnlyList<SftExample> examples, TrainingSettings settings, CancellationToken cancellationToken);

    /// <summary>Direct preference optimisation of <paramref name="baseModel"/> on <paramref name="examples"/>.</summary>
    /// <exception cref="ArgumentException">No examples.</exception>
    Task<TrainedModel> DpoAsync(CallSite site, string baseModel, IReadOnlyList<PreferenceExample> examples, TrainingSettings settings,
        CancellationToken cancellationToken);

    /// <summary>Policy-gradient (GRPO) LoRA training of <paramref name="baseModel"/> on <paramref name="prompts"/>: the
    /// service samples each step's rollouts and <paramref name="rewards"/> scores them. The job's key covers the prompts
    /// and settings, not the reward source: callers whose rewards may change add that to the site.</summary>
    /// <exception cref="ArgumentException">No prompts, or an unknown schedule.</exception>
    Task<TrainedModel> PolicyGradientAsync(CallSite site, string baseModel, IReadOnlyList<string> prompts, PolicyGradientSettings settings, RolloutRewards rewards,
        CancellationToken cancellationToken);

    /// <summary>CoLLM deferral training of <paramref name="generator"/> (probe pass, then full fine-tuning with the added
    /// vocabulary entry); the trained model's tokenizer has <see cref="DeferralSettings.AddToken"/> as its last id.</summary>
    /// <exception cref="ArgumentException">No examples.</exception>
    Task<TrainedModel> DeferralAsync(CallSite site, string generator, IReadOnlyList<DeferralExample> examples, DeferralSettings settings,
        CancellationToken cancellationToken);
}
