namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One SFT example: a prompt as methods build it (a `&lt;begin&gt;` in it starts the prefill, as in
/// generation) and the completion the model learns to answer with.</summary>
public sealed record SftExample(string Prompt, string Completion);

/// <summary>One DPO example: a prompt, the preferred and the rejected completion.</summary>
public sealed record PreferenceExample(string Prompt, string Chosen, string Rejected);

/// <summary>What the caller sets of a LoRA job (methods-text.md §0.9): per-device batch, gradient accumulation, peak
/// learning rate and epochs. Everything else is fixed by §0.9 (rank 64, alpha 16, dropout 0.1 on q/k/v/o, AdamW,
/// clip 1.0, warmup 0.1 then cosine, seed 42; DPO β 0.1).</summary>
public sealed record TrainingSettings(int BatchSize, int GradientAccumulation, double LearningRate, int Epochs)
{
    /// <summary>`single_sft`'s defaults: batch 1, accumulation 16, lr 1e-5, 3 epochs.</summary>
    public static TrainingSettings Sft { get; } = new(1, 16, 1e-5, 3);

    /// <summary>The DPO settings the reference fixes: batch 1, accumulation 16, lr 1e-6, 1 epoch.</summary>
    public static TrainingSettings Dpo { get; } = new(1, 16, 1e-6, 1);
}

/// <summary>GRPO settings of a policy-gradient job (methods-text.md §6): completions per prompt (the group), how they
/// are sampled (temperature, top-p 1, no top-k, at most <paramref name="MaxNewTokens"/>), and the optimiser's peak
/// learning rate, weight decay and epochs. Fixed: LoRA r 64, alpha 16, dropout 0.1 on q/k/v/o, one prompt per step,
/// warmup 0.1 then cosine, KL β 0, token-mean loss, seed 42.</summary>
public sealed record PolicyGradientSettings(int GroupSize, double Temperature, int MaxNewTokens, double LearningRate, double WeightDecay, int Epochs);

/// <summary>One sampled completion the caller rewards: the index of its prompt, its index within that prompt's group
/// and its text (special tokens skipped).</summary>
public sealed record PolicyRollout(int PromptIndex, int SampleIndex, string Text);

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

    /// <summary>GRPO of <paramref name="baseModel"/> on <paramref name="prompts"/>: at every step the service samples
    /// completions from the current weights and <paramref name="rewards"/> scores them, one reward per rollout in order.</summary>
    /// <exception cref="ArgumentException">No prompts.</exception>
    Task<TrainedModel> PolicyGradientAsync(CallSite site, string baseModel, IReadOnlyList<string> prompts, PolicyGradientSettings settings,
        Func<IReadOnlyList<PolicyRollout>, CancellationToken, Task<IReadOnlyList<double>>> rewards, CancellationToken cancellationToken);
}
