namespace MoCo.Native.Training;

/// <summary>What a trainer trains (<c>moco_train_mode</c>).</summary>
public enum TrainMode
{
    /// <summary>A new LoRA adapter; the base stays frozen.</summary>
    Lora = 0,

    /// <summary>Every tensor of the model, on F32 master copies.</summary>
    Full = 1,
}

/// <summary>The projections of every layer a LoRA adapts (<c>MOCO_LORA_*</c> bits).</summary>
[Flags]
public enum LoraTargets : uint
{
    /// <summary>No projection; refused by <see cref="MocoTrainer.Create"/>.</summary>
    None = 0,

    /// <summary>q_proj.</summary>
    QProj = 1u << 0,

    /// <summary>k_proj.</summary>
    KProj = 1u << 1,

    /// <summary>v_proj.</summary>
    VProj = 1u << 2,

    /// <summary>o_proj.</summary>
    OProj = 1u << 3,

    /// <summary>gate_proj.</summary>
    GateProj = 1u << 4,

    /// <summary>up_proj.</summary>
    UpProj = 1u << 5,

    /// <summary>down_proj.</summary>
    DownProj = 1u << 6,

    /// <summary>Every attention and MLP projection.</summary>
    All = QProj | KProj | VProj | OProj | GateProj | UpProj | DownProj,
}

/// <summary>The learning-rate multiplier after the linear warmup (<c>moco_lr_schedule</c>).</summary>
public enum LrSchedule
{
    /// <summary>1.</summary>
    Constant = 0,

    /// <summary>Linear decay to 0 at the total step count.</summary>
    Linear = 1,

    /// <summary>Half a cosine to 0 at the total step count.</summary>
    Cosine = 2,
}

/// <summary>The loss a micro-batch trains (<c>moco_loss_kind</c>); every micro-batch of one step has the same.</summary>
public enum LossKind
{
    /// <summary>Cross-entropy of the target tokens; the step's mean is over target tokens.</summary>
    Sft = 0,

    /// <summary>Examples in pairs (chosen, rejected); -log sigmoid(beta * margin) per pair.</summary>
    Dpo = 1,

    /// <summary>GRPO: group-normalised advantages of the examples' rewards plus a KL term; unit: sequence.</summary>
    PolicyGradient = 2,

    /// <summary>CoLLM deferral against the mentor's log-probs, with the last vocabulary entry as the defer logit.</summary>
    Defer = 3,
}
