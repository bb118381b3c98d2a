using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Native.Training;
using LrSchedule = MoCo.Native.Training.LrSchedule;

namespace MoCo.Inference.Training;

/// <summary>A Train job with every default decided (contracts.md §4 Train, methods-text.md §0.9).</summary>
/// <param name="Kind">SFT or DPO (the kinds this build trains).</param>
/// <param name="Base">The resident model trained from; it is only read, so it keeps serving meanwhile.</param>
/// <param name="Lora">The adapter settings, or null for full fine-tuning.</param>
/// <param name="Hyper">Optimiser, schedule and batching.</param>
/// <param name="OutputId">The id the trained model is registered under.</param>
/// <param name="CheckpointEvery">Optimizer steps between checkpoints; 0 = none.</param>
public sealed record TrainSettings(TrainKind Kind, ServedModel Base, LoraSettings? Lora, HyperSettings Hyper, string OutputId, int CheckpointEvery)
{
    /// <summary>The loss every micro-batch of the job trains.</summary>
    public LossKind Loss => Kind == TrainKind.Dpo ? LossKind.Dpo : LossKind.Sft;

    /// <summary>The trainer options for a job of <paramref name="totalSteps"/> optimizer steps.</summary>
    public TrainerOptions TrainerOptions(int totalSteps) => new(
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
        DpoBeta: (float)Hyper.Beta);
}

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
    ulong Seed);
