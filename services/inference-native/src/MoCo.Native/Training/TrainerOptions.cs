namespace MoCo.Native.Training;

/// <summary>
/// Settings of a <see cref="MocoTrainer"/> (<c>moco_trainer_options</c>). The defaults are libmoco's; libmoco
/// checks the ranges and names the field at fault.
/// </summary>
/// <param name="Mode">LoRA (default) or full fine-tuning.</param>
/// <param name="LoraRank">&gt;= 1.</param>
/// <param name="LoraAlpha">&gt; 0; scale = alpha / rank (alpha / sqrt(rank) with <paramref name="UseRsLora"/>).</param>
/// <param name="UseRsLora">Rank-stabilised scaling.</param>
/// <param name="LoraTargets">The adapted projections; not <see cref="LoraTargets.None"/>. Default q and v (PEFT's Llama default).</param>
/// <param name="LoraDropout">In [0, 1): PEFT's dropout of the adapter input, drawn from Philox keyed by <paramref name="Seed"/>.</param>
/// <param name="LearningRate">Peak learning rate, &gt;= 0.</param>
/// <param name="AdamBeta1">In [0, 1).</param>
/// <param name="AdamBeta2">In [0, 1).</param>
/// <param name="AdamEpsilon">&gt; 0.</param>
/// <param name="WeightDecay">Decoupled (AdamW), &gt;= 0; biases and norm weights are exempt.</param>
/// <param name="MaxGradNorm">&gt; 0 clips the global gradient norm to it; 0 = no clipping.</param>
/// <param name="Schedule">The multiplier after warmup.</param>
/// <param name="WarmupSteps">Linear warmup steps (the first step, step 0, then has learning rate 0, as in HF).</param>
/// <param name="TotalSteps">The schedule's length, &gt;= 1.</param>
/// <param name="Seed">LoRA initialisation and dropout.</param>
/// <param name="DpoBeta">DPO's beta, &gt; 0.</param>
/// <param name="KlBeta">Weight of the policy-gradient KL term, &gt;= 0; 0 skips the reference forward.</param>
/// <param name="AddVocabularyRow">Full fine-tuning only: append CoLLM's &lt;|defer|&gt; as the last vocabulary entry.</param>
/// <param name="AddedOutputRow">Empty, or hidden_size floats: the added entry's head row (empty = the mean of the head's rows).</param>
/// <param name="PgTemperature">&gt; 0: policy-gradient log-probs come from logits / this (the rollouts' sampling temperature).</param>
/// <param name="PgTokenMean">Policy gradient's unit: every target token of the step (TRL 0.19's "bnpo") instead of each sequence's mean.</param>
public sealed record TrainerOptions(
    TrainMode Mode = TrainMode.Lora,
    int LoraRank = 8,
    float LoraAlpha = 8f,
    bool UseRsLora = false,
    LoraTargets LoraTargets = LoraTargets.QProj | LoraTargets.VProj,
    float LoraDropout = 0f,
    float LearningRate = 1e-5f,
    float AdamBeta1 = 0.9f,
    float AdamBeta2 = 0.999f,
    float AdamEpsilon = 1e-8f,
    float WeightDecay = 0f,
    float MaxGradNorm = 1f,
    LrSchedule Schedule = LrSchedule.Linear,
    int WarmupSteps = 0,
    int TotalSteps = 1,
    ulong Seed = 42,
    float DpoBeta = 0.1f,
    float KlBeta = 0.04f,
    bool AddVocabularyRow = false,
    ReadOnlyMemory<float> AddedOutputRow = default,
    float PgTemperature = 1f,
    bool PgTokenMean = false)
{
    /// <summary>libmoco's defaults.</summary>
    public static TrainerOptions Default { get; } = new();
}
