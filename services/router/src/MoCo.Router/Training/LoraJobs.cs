using MoCo.Contracts.V1;

namespace MoCo.Router.Training;

/// <summary>The LoRA job of methods-text.md §0.9 as runs and the router service send it to inference Train.</summary>
public static class LoraJobs
{
    /// <summary>The job before its base model, output id and call key are set: LoRA r 64, alpha 16, dropout 0.1 on
    /// q/k/v/o; warmup 0.1 then cosine; no weight decay; seed 42; DPO β 0.1.</summary>
    public static TrainJob Create(TrainKind kind, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var job = new TrainJob
        {
            Kind = kind,
            Lora = new LoraConfig { R = 64, Alpha = 16f, Dropout = 0.1f },
            Hyper = new TrainHyper
            {
                LearningRate = settings.LearningRate,
                Schedule = LrSchedule.Cosine,
                WarmupRatio = 0.1,
                Epochs = settings.Epochs,
                MicroBatch = settings.BatchSize,
                GradAccum = settings.GradientAccumulation,
                WeightDecay = 0,
                Seed = 42,
            },
        };
        job.Lora.TargetModules.Add(["q_proj", "k_proj", "v_proj", "o_proj"]);
        if (kind == TrainKind.Dpo)
        {
            job.Hyper.Beta = 0.1;
        }
        job.AdapterOnOriginalBase = settings.AdapterOnOriginalBase;
        return job;
    }
}
