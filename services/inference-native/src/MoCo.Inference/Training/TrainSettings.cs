using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Native.Training;
using LrSchedule = MoCo.Native.Training.LrSchedule;

namespace MoCo.Inference.Training;

/// <summary>A Train job with every default decided (contracts.md §4 Train, methods-text.md §0.9).</summary>
/// <param name="Kind">SFT, DPO, POLICY_GRADIENT or COLLM_DEFERRAL.</param>
/// <param name="Base">The resident model trained from; it is only read, so it keeps serving meanwhile.</param>
/// <param name="Lora">The adapter settings, or null for full fine-tuning.</param>
/// <param name="Hyper">Optimiser, schedule and batching.</param>
/// <param name="OutputId">The id the trained model is registered under.</param>
/// <param name="CheckpointEvery">Optimizer steps between checkpoints; 0 = none.</param>
/// <param name="Rollouts">POLICY_GRADIENT: how rollouts are sampled; null for the other kinds.</param>
/// <param name="AddToken">COLLM_DEFERRAL: the vocabulary entry added as the last row; null for the other kinds.</param>
/// <param name="ServeOn">LoRA on an adapter with adapter_on_original_base: the adapter's own base, which the trained
/// adapter names as its base instead of the merged model it trained from; null = that model.</param>
public sealed record TrainSettings(TrainKind Kind, ServedModel Base, LoraSettings? Lora, HyperSettings Hyper, string OutputId, int CheckpointEvery,
    RolloutSettings? Rollouts = null, string? AddToken = null, string? ServeOn = null)
{
    /// <summary>The loss every micro-batch of the job trains.</summary>
    public LossKind Loss => Kind switch
    {
        TrainKind.Dpo => LossKind.Dpo,
        TrainKind.PolicyGradient => LossKind.PolicyGradient,
        TrainKind.CollmDeferral => LossKind.Defer,
        _ => LossKind.Sft,
    };

    /// <summary>The trainer options for a job of <paramref name="totalSteps"/> optimizer steps; policy-gradient
    /// log-probs at <paramref name="rolloutTemperature"/>, the temperature the rollouts are drawn at.</summary>
    public TrainerOptions TrainerOptions(int totalSteps, float rolloutTemperature = 1f) => new(
        Mode: Lora is null ? TrainMode.Full : TrainMode.Lora,
        LoraRank: Lora?.Rank ?? 8,
        LoraAlpha: Lora?.Alpha ?? 8f,
        UseRsLora: Lora?.RsLora ?? false,
        LoraTargets: Lora?.Targets ?? LoraTargets.QProj | LoraTargets.VProj,
        LoraDropout: Lora?.Dropout ?? 0f,
        LearningRate: (float)Hyper.LearningRate,
        WeightDecay: (float)Hyper.WeightDecay,
        MaxGradNorm: 1f,
        Schedule: Hyper.Schedule,
        WarmupSteps: (int)Math.Ceiling(Hyper.WarmupRatio * totalSteps),
        TotalSteps: totalSteps,
        Seed: Hyper.Seed,
        DpoBeta: (float)Hyper.Beta,
        KlBeta: (float)Hyper.KlBeta,
        PgTemperature: rolloutTemperature,
        PgTokenMean: true);
}

/// <summary>POLICY_GRADIENT rollouts: <paramref name="GroupSize"/> completions per prompt, drawn with
/// <paramref name="Sampling"/> (unset fields from the model's generation_config, as Generate decides them).</summary>
public sealed record RolloutSettings(int GroupSize, SamplingParams Sampling);

/// <summary>LoRA settings (methods-text.md §0.9: rank 64, alpha 16, dropout 0.1 on q/k/v/o_proj unless set).</summary>
public sealed record LoraSettings(int Rank, float Alpha, float Dropout, LoraTargets Targets, bool RsLora);

/// <summary>Hyperparameters with the defaults of the job's kind applied.</summary>
public sealed record HyperSettings(
    double LearningRate,
    LrSchedule Schedule,
    double WarmupRatio,
    int Epochs,
    int MicroBatch,
    int GradAccum,
    int MaxLength,
    double WeightDecay,
    double Beta,
    ulong Seed,
    double KlBeta = 0);
