using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Serving;
using MoCo.Native.Training;
using ContractSchedule = MoCo.Contracts.V1.LrSchedule;
using NativeSchedule = MoCo.Native.Training.LrSchedule;

namespace MoCo.Inference.Training;

/// <summary>Validation of a TrainJob: every bad field is listed in one INVALID_ARGUMENT (contracts.md §8), and unset
/// hyperparameters take methods-text.md §0.9's values for the job's kind.</summary>
public static class TrainJobs
{
    private static readonly Dictionary<string, LoraTargets> Modules = new(StringComparer.Ordinal)
    {
        ["q_proj"] = LoraTargets.QProj,
        ["k_proj"] = LoraTargets.KProj,
        ["v_proj"] = LoraTargets.VProj,
        ["o_proj"] = LoraTargets.OProj,
        ["gate_proj"] = LoraTargets.GateProj,
        ["up_proj"] = LoraTargets.UpProj,
        ["down_proj"] = LoraTargets.DownProj,
    };

    /// <summary>The job with every default decided; the base model is made resident.</summary>
    /// <param name="job">The first client message.</param>
    /// <param name="registry">Resolves the base model and checks the output id is free.</param>
    /// <param name="jobId">The server's id of the job, from which an unset output id is derived.</param>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming every bad field; NOT_FOUND for the base model;
    /// An adapter base is
    /// returned as it is: <see cref="AdapterBase"/> folds it into its base before the job runs.</exception>
    public static TrainSettings Validate(TrainJob job, ModelRegistry registry, string jobId)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(registry);
        var problems = new FieldProblems();
        switch (job.Kind)
        {
            case TrainKind.Sft or TrainKind.Dpo or TrainKind.PolicyGradient or TrainKind.CollmDeferral:
                break;
            case TrainKind.Unspecified:
                problems.Missing("job.kind", "set kind: TRAIN_KIND_SFT or TRAIN_KIND_DPO (no default)");
                break;
            default:
                problems.Invalid("job.kind", $"unknown kind {(int)job.Kind}");
                break;
        }
        if (string.IsNullOrWhiteSpace(job.BaseModel))
        {
            problems.Missing("job.base_model", "name the model to train from");
        }
        var lora = job.Lora is null ? null : Lora(job.Lora, problems);
        var hyper = Hyper(job.Hyper ?? new TrainHyper(), job.Kind, problems);
        var rollouts = Rollouts(job, problems);
        if (job.CheckpointEvery < 0)
        {
            problems.Invalid("job.checkpoint_every", $"must be >= 0 (0 = no checkpoints), got {job.CheckpointEvery}");
        }
        var collm = job.Kind == TrainKind.CollmDeferral;
        if (job.AddToken is not null && !collm)
        {
            problems.Invalid("job.add_token", "add_token is for TRAIN_KIND_COLLM_DEFERRAL only");
        }
        if (collm && string.IsNullOrEmpty(job.AddToken))
        {
            problems.Missing("job.add_token", "name the vocabulary entry deferral adds, e.g. \"<|defer|>\"");
        }
        if (job.AdapterOnOriginalBase && job.Lora is null)
        {
            problems.Invalid("job.adapter_on_original_base", "only a LoRA job trains an adapter to serve on a base; set lora, or leave this false");
        }
        if (collm && job.Lora is not null)
        {
            problems.Invalid("job.lora", "TRAIN_KIND_COLLM_DEFERRAL fine-tunes full weights (the added row trains with them); leave lora unset");
        }
        var outputId = OutputId(job, jobId, registry, problems);
        problems.ThrowIfAny();

        var served = registry.Acquire(job.BaseModel, "job.base_model");
        if (served.Info.IsClassifier)
        {
            throw ServingErrors.WrongKind(StatusCode.InvalidArgument, served.Id, served.KindName, "job.base_model", "Train needs a causal LM");
        }
        if (job.Kind == TrainKind.PolicyGradient && job.Hyper?.MaxLength is null)
        {
            hyper = hyper with { MaxLength = served.Text.ContextLength };
        }
        if (collm && served.Text.Tokenizer.TokenToId(job.AddToken!) is { } existing)
        {
            throw MocoErrors.InvalidArgument(new Problem("job.add_token", "INVALID_VALUE",
                $"'{job.AddToken}' is already in {served.Id}'s vocabulary (id {existing}); deferral adds a new entry"));
        }
        var serveOn = job.AdapterOnOriginalBase && served.Adapter is not null ? served.Base.Resolution.Name : null;
        return new TrainSettings(job.Kind, served, lora, hyper, outputId, job.CheckpointEvery, rollouts, collm ? job.AddToken : null, serveOn);
    }

    private static LoraSettings Lora(LoraConfig config, FieldProblems problems)
    {
        var rank = config.R ?? 64;
        var alpha = config.Alpha ?? 16f;
        var dropout = config.Dropout ?? 0.1f;
        if (rank < 1)
        {
            problems.Invalid("job.lora.r", $"must be >= 1, got {rank}");
        }
        if (!(alpha > 0) || !float.IsFinite(alpha))
        {
            problems.Invalid("job.lora.alpha", $"must be > 0 and finite, got {alpha}");
        }
        if (!(dropout is >= 0 and < 1))
        {
            problems.Invalid("job.lora.dropout", $"must be in [0, 1), got {dropout}");
        }
        var targets = LoraTargets.None;
        var names = config.TargetModules.Count == 0 ? ["q_proj", "k_proj", "v_proj", "o_proj"] : config.TargetModules.ToList();
        for (var i = 0; i < names.Count; i++)
        {
            if (Modules.TryGetValue(names[i], out var bit))
            {
                targets |= bit;
            }
            else
            {
                problems.Invalid($"job.lora.target_modules[{i}]", $"unknown module '{names[i]}'; use {string.Join(", ", Modules.Keys)}");
            }
        }
        return new LoraSettings(rank, alpha, dropout, targets, config.Rslora);
    }

    // POLICY_GRADIENT: group_size completions per prompt (a group of one has no advantage), drawn as rollout_sampling says.
    private static RolloutSettings? Rollouts(TrainJob job, FieldProblems problems)
    {
        if (job.Kind != TrainKind.PolicyGradient)
        {
            if (job.RolloutSampling is not null)
            {
                problems.Invalid("job.rollout_sampling", "rollout_sampling is for TRAIN_KIND_POLICY_GRADIENT only");
            }
            return null;
        }
        var group = job.Hyper?.GroupSize ?? 4;
        if (group < 2)
        {
            problems.Invalid("job.hyper.group_size", $"must be >= 2 (advantages are normalised within a group), got {group}");
        }
        var sampling = job.RolloutSampling ?? new SamplingParams();
        SamplingValidation.Check(sampling, "job.rollout_sampling", problems);
        return new RolloutSettings(group, sampling);
    }

    private static HyperSettings Hyper(TrainHyper h, TrainKind kind, FieldProblems problems)
    {
        var dpo = kind == TrainKind.Dpo;
        var pg = kind == TrainKind.PolicyGradient;
        var collm = kind == TrainKind.CollmDeferral;
        var settings = new HyperSettings(
            LearningRate: h.LearningRate ?? (dpo ? 1e-6 : pg ? 1e-4 : collm ? 2e-5 : 1e-5),
            Schedule: h.Schedule switch
            {
                ContractSchedule.Unspecified when collm => NativeSchedule.Linear,
                ContractSchedule.Unspecified or ContractSchedule.Cosine => NativeSchedule.Cosine,
                ContractSchedule.Linear => NativeSchedule.Linear,
                _ => NativeSchedule.Constant,
            },
            WarmupRatio: h.WarmupRatio ?? (collm ? 0.04 : 0.1),
            Epochs: h.Epochs ?? (dpo || pg ? 1 : collm ? 2 : 3),
            MicroBatch: h.MicroBatch ?? 1,
            GradAccum: h.GradAccum ?? (pg ? 1 : collm ? 32 : 16),
            MaxLength: h.MaxLength ?? (dpo ? 1024 : collm ? 2048 : 4096),
            WeightDecay: h.WeightDecay ?? 0,
            Beta: h.Beta ?? 0.1,
            Seed: h.Seed ?? 42,
            KlBeta: h.KlBeta ?? 0);
        if (h.Schedule is not (ContractSchedule.Unspecified or ContractSchedule.Cosine or ContractSchedule.Linear or ContractSchedule.Constant))
        {
            problems.Invalid("job.hyper.schedule", $"unknown schedule {(int)h.Schedule}");
        }
        if (!(settings.LearningRate >= 0) || !double.IsFinite(settings.LearningRate))
        {
            problems.Invalid("job.hyper.learning_rate", $"must be >= 0 and finite, got {settings.LearningRate}");
        }
        if (!(settings.WarmupRatio is >= 0 and <= 1))
        {
            problems.Invalid("job.hyper.warmup_ratio", $"must be in [0, 1], got {settings.WarmupRatio}");
        }
        AtLeast(problems, "job.hyper.epochs", settings.Epochs, 1);
        AtLeast(problems, "job.hyper.micro_batch", settings.MicroBatch, 1);
        AtLeast(problems, "job.hyper.grad_accum", settings.GradAccum, 1);
        AtLeast(problems, "job.hyper.max_length", settings.MaxLength, 2);
        if (!(settings.WeightDecay >= 0) || !double.IsFinite(settings.WeightDecay))
        {
            problems.Invalid("job.hyper.weight_decay", $"must be >= 0 and finite, got {settings.WeightDecay}");
        }
        if (!(settings.Beta > 0) || !double.IsFinite(settings.Beta))
        {
            problems.Invalid("job.hyper.beta", $"must be > 0 and finite, got {settings.Beta}");
        }
        if (h.GroupSize is not null && !pg)
        {
            problems.Invalid("job.hyper.group_size", "group_size is for TRAIN_KIND_POLICY_GRADIENT only");
        }
        if (h.KlBeta is { } kl && (!pg || !(kl >= 0) || !double.IsFinite(kl)))
        {
            problems.Invalid("job.hyper.kl_beta", pg ? $"must be >= 0 and finite, got {kl}" : "kl_beta is for TRAIN_KIND_POLICY_GRADIENT only");
        }
        return settings;
    }

    /// <summary>The proto name of a kind ("TRAIN_KIND_POLICY_GRADIENT"), as clients spell it.</summary>
    public static string KindName(TrainKind kind) => kind switch
    {
        TrainKind.Sft => "TRAIN_KIND_SFT",
        TrainKind.Dpo => "TRAIN_KIND_DPO",
        TrainKind.PolicyGradient => "TRAIN_KIND_POLICY_GRADIENT",
        TrainKind.CollmDeferral => "TRAIN_KIND_COLLM_DEFERRAL",
        _ => "TRAIN_KIND_UNSPECIFIED",
    };

    private static void AtLeast(FieldProblems problems, string field, int value, int min)
    {
        if (value < min)
        {
            problems.Invalid(field, $"must be >= {min}, got {value}");
        }
    }

    // Unset: derived from the call key (config-and-cli.md §5.2), else from the job id. Either way it must name no model yet.
    private static string OutputId(TrainJob job, string jobId, ModelRegistry registry, FieldProblems problems)
    {
        var id = job.OutputId ?? (job.CallKey.Length > 0 ? "trained-" + job.CallKey : "trained-" + jobId);
        if (string.IsNullOrWhiteSpace(id) || id.Any(c => char.IsControl(c) || c is '/' or '\\') || id is "." or "..")
        {
            problems.Invalid("job.output_id", $"'{id}' is not a usable model id: no control characters, slashes, '.' or '..'");
            return id;
        }
        try
        {
            registry.Resolve(id);
            problems.Invalid("job.output_id", $"'{id}' already names a model; pick a new id");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Free: the id names nothing yet.
        }
        return id;
    }
}
