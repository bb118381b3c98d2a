namespace MoCo.Router.Training;

/// <summary>What the caller sets of a LoRA job (methods-text.md §0.9): per-device batch, gradient accumulation, peak
/// learning rate and epochs. Everything else is fixed by §0.9 (rank 64, alpha 16, dropout 0.1 on q/k/v/o, AdamW,
/// clip 1.0, warmup 0.1 then cosine, seed 42; DPO β 0.1). <paramref name="AdapterOnOriginalBase"/>: a model that is
/// itself an adapter gets its new adapter served on its original base, dropping the earlier deltas, as the reference's
/// DPO does (TrainJob.adapter_on_original_base; `reference` mode).</summary>
public sealed record TrainingSettings(int BatchSize, int GradientAccumulation, double LearningRate, int Epochs, bool AdapterOnOriginalBase = false)
{
    /// <summary>`single_sft`'s defaults: batch 1, accumulation 16, lr 1e-5, 3 epochs.</summary>
    public static TrainingSettings Sft { get; } = new(1, 16, 1e-5, 3);

    /// <summary>The DPO settings the reference fixes: batch 1, accumulation 16, lr 1e-6, 1 epoch.</summary>
    public static TrainingSettings Dpo { get; } = new(1, 16, 1e-6, 1);

    /// <summary>ChooserSFT (methods-api.md §0.8), which trains api_trained_router's router and api_switch_generation's
    /// selector: micro-batch 1, gradient accumulation 32, lr 1e-5, 5 epochs.</summary>
    public static TrainingSettings ChooserSft { get; } = new(1, 32, 1e-5, 5);
}
