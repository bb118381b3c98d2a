using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Router.Decoding;

namespace MoCo.Router.Service;

/// <summary>The general keys a router call reads from the context's hyperparameters (methods-api.md §0.1): the config as
/// written, so absent keys take the shared defaults (512 tokens, temperature 0.7, top_p 0.9).</summary>
public static class RouterSettings
{
    /// <summary>StdGen settings of <paramref name="context"/>.</summary>
    public static SamplingSettings Sampling(RouterContext context) => new(
        (int)Number(context.Hyperparameters, "max_response_length", 512),
        Number(context.Hyperparameters, "temperature", 0.7),
        Number(context.Hyperparameters, "top_p", 0.9));

    /// <summary>api_nudging's settings from the context (methods-api.md §1 defaults), model indices into model_names; a
    /// stored nudging router (<paramref name="payload"/>, TrainRouter's search) gives gamma and the nudger instead.</summary>
    public static NudgingSettings Nudging(RouterContext context, System.Text.Json.Nodes.JsonObject? payload = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, baseIndex, nudger, gamma) = NudgingSearch(context);
        if (payload is not null)
        {
            (gamma, nudger) = ((double)payload["gamma"]!, (int)payload["nudging_model_id"]!);
        }
        return NudgingPair(context, baseIndex, (gamma, nudger));
    }

    /// <summary>api_nudging's search (§1): the (gamma, nudger) pairs it tries (one when neither search flag is set), the
    /// base model's index, and the configured nudger and gamma.</summary>
    public static (IReadOnlyList<(double Gamma, int Nudger)> Pairs, int Base, int Nudger, double Gamma) NudgingSearch(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        var models = context.ModelNames;
        var baseIndex = (int)Number(h, "base_model_id", 0);
        var nudger = (int)Number(h, "nudging_model_id", 1);
        foreach (var (key, index) in new[] { ("base_model_id", baseIndex), ("nudging_model_id", nudger) })
        {
            if (index < 0 || index >= models.Count)
            {
                throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters." + key, "OUT_OF_RANGE", $"{index} is not an index into model_names ({models.Count} models)",
                    new Dictionary<string, string> { ["fix"] = $"use 0 to {models.Count - 1}" }));
            }
        }
        var gamma = Number(h, "gamma", 0.4);
        return (Decoding.Nudging.Pairs(Bool(h, "search_gamma", false), Bool(h, "search_nudging", false), gamma, baseIndex, nudger, models.Count), baseIndex, nudger, gamma);
    }

    /// <summary>api_nudging's settings for one (gamma, nudger) pair.</summary>
    public static NudgingSettings NudgingPair(RouterContext context, int baseIndex, (double Gamma, int Nudger) pair)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        return new NudgingSettings(context.ModelNames[baseIndex], context.ModelNames[pair.Nudger], pair.Gamma, (int)Number(h, "max_response_length", 512),
            Number(h, "temperature", 0.7), Bool(h, "do_sample", true), Bool(h, "use_kv_cache", false));
    }

    /// <summary>api_collm's decoding settings (methods-api.md §8 defaults) for a stored deferral router: its payload names
    /// the trained generator and its deferral id; the mentor is model_names[1].</summary>
    public static CoLlmSettings CoLlm(RouterContext context, System.Text.Json.Nodes.JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(payload);
        var h = context.Hyperparameters;
        var maxTokens = (int)Number(h, "max_response_length", 512);
        var threshold = Number(h, "deferral_threshold", 0.5);
        var schedule = String(h, "threshold_warmup_schedule", "none");
        if (schedule is not ("none" or "linear" or "cosine"))
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.threshold_warmup_schedule", "UNKNOWN_VALUE", $"\"{schedule}\" is not a schedule",
                new Dictionary<string, string> { ["fix"] = "use none, linear or cosine" }));
        }
        var deferId = (int)payload["defer_id"]!;
        return new CoLlmSettings((string)payload["generator"]!, context.ModelNames[1], deferId, deferId,
            new CoLlmThresholds(threshold, schedule, (int)Number(h, "threshold_warmup_steps", 15), maxTokens), String(h, "deferral_strategy", "defer") == "compose", maxTokens);
    }

    /// <summary>api_collm's training settings (methods-api.md §8 defaults; max_seq_length is an alias): the training set's
    /// name and split, how many of its first rows train, and the truncation length.</summary>
    public static (string Dataset, string Split, int Rows, int MaxLength) CoLlmTraining(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        return (String(h, "training_dataset_name", "nlile/hendrycks-MATH-benchmark"), String(h, "training_split", "train"), (int)Number(h, "training_num", 10000),
            (int)Number(h, "max_sequence_length", Number(h, "max_seq_length", 2048)));
    }

    /// <summary>api_mentor_collab's settings from the context (methods-api.md §7 defaults; compat reference keeps the
    /// reference's default proportion 0.25 and its strict test); mode "train" loads the generator's judge from
    /// <paramref name="judges"/>.</summary>
    public static MentorSettings Mentor(RouterContext context, MentorMlpRegistry judges)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(judges);
        var h = context.Hyperparameters;
        var models = context.ModelNames;
        if (models.Count != 2)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.model_names", "WRONG_LENGTH", $"api_mentor_collab takes exactly 2 models, got {models.Count}",
                new Dictionary<string, string> { ["fix"] = "send [generator, mentor]" }));
        }
        var reference = context.Compat == Compat.Reference;
        var mode = String(h, "mode", "free");
        if (mode is not ("free" or "train"))
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.mode", "UNKNOWN_VALUE", $"\"{mode}\" is not a mentor_collab mode",
                new Dictionary<string, string> { ["fix"] = "use \"free\" or \"train\"" }));
        }
        MentorMlp? judge = null;
        if (mode == "train")
        {
            try
            {
                judge = judges.Load(models[0], String(h, "task", "General"));
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                throw MocoErrors.Create(Grpc.Core.StatusCode.FailedPrecondition, "api_mentor_collab mode \"train\" has no usable MLP judge",
                    new Problem("context.model_names[0]", "JUDGE_MISSING", e.Message,
                        new Dictionary<string, string> { ["fix"] = "register the generator's judge (the message says where and how), or use mode \"free\"" }));
            }
        }
        return new MentorSettings(models[0], models[1], Number(h, "decision_proportion", reference ? 0.25 : 25), reference,
            (int)Number(h, "patch_size", 16), (int)Number(h, "max_response_length", 512), judge, Number(h, "mlp_threshold", 0.5));
    }

    /// <summary>api_switch_generation's settings (methods-api.md §3 defaults): patch_size, R = ⌊max_response_length /
    /// patch_size⌋ rounds, the cue flags, and the selector — the stored router's (<paramref name="payload"/>) or else the
    /// request's selector_model_name.</summary>
    public static SwitchSettings Switch(RouterContext context, System.Text.Json.Nodes.JsonObject? payload)
    {
        ArgumentNullException.ThrowIfNull(context);
        var shape = SwitchShape(context);
        var selector = (string?)payload?["selector_model"] ?? String(context.Hyperparameters, "selector_model_name", "");
        if (selector.Length == 0)
        {
            throw MocoErrors.Create(Grpc.Core.StatusCode.FailedPrecondition, "api_switch_generation needs a selector",
                new Problem("context.hyperparameters.selector_model_name", "SELECTOR_REQUIRED", "is unset and no router_id names a stored selector",
                    new Dictionary<string, string> { ["fix"] = "send selector_model_name, or the router_id of a stored selector (ListRouters; TrainRouter trains one)" }));
        }
        return shape with { Selector = selector };
    }

    /// <summary>api_switch_generation's selector training (methods-api.md §3 defaults; batch_size has none): the patch loop's
    /// shape, the rows' settings, a given selector_model_name (null = train one), the selector's base model and the
    /// reward model that scores the rollouts.</summary>
    public static (SwitchSettings Shape, Switching.SelectorTrainingSettings Rows, string? Given, string SelectorBase, string RewardModel) SwitchTraining(
        RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        var shape = SwitchShape(context);
        var batch = (int)Number(h, "batch_size", 0);
        var rows = new Switching.SelectorTrainingSettings(batch, batch < 1 ? 0 : (int)Number(h, "training_instance_num", 500) / batch,
            (int)Number(h, "rollout_per_instance", 16), shape.Rounds);
        var given = String(h, "selector_model_name", "");
        return (shape, rows, given.Length == 0 ? null : given, String(h, "selector_base_model", "Qwen/Qwen2.5-7B-Instruct"),
            String(h, "reward_model_name", "Skywork/Skywork-Reward-Llama-3.1-8B-v0.2"));
    }

    // patch_size, R = ⌊max_response_length / patch_size⌋ rounds and the cue flags; no selector yet.
    private static SwitchSettings SwitchShape(RouterContext context)
    {
        var h = context.Hyperparameters;
        var patchSize = (int)Number(h, "patch_size", 25);
        if (patchSize < 1)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.patch_size", "OUT_OF_RANGE", $"{patchSize} tokens per patch",
                new Dictionary<string, string> { ["fix"] = "use a positive patch_size" }));
        }
        return new SwitchSettings(patchSize, (int)Number(h, "max_response_length", 512) / patchSize, Bool(h, "objective_flag", false), Bool(h, "wait_flag", false), "");
    }

    /// <summary>api_trained_router's models (methods-api.md §4 defaults): the router's base model and the reward model
    /// that breaks dev ties.</summary>
    public static (string RouterBase, string RewardModel) TrainedRouter(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        return (String(h, "router_base_model", "Qwen/Qwen2.5-7B-Instruct"), String(h, "reward_model_name", "Skywork/Skywork-Reward-Llama-3.1-8B-v0.2"));
    }

    /// <summary>The config's model_descriptions when it holds one string per model; null otherwise.</summary>
    public static List<string>? Descriptions(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Hyperparameters?.Fields.TryGetValue("model_descriptions", out var value) == true && value.KindCase == Value.KindOneofCase.ListValue
            && value.ListValue.Values.Count == context.ModelNames.Count && value.ListValue.Values.All(v => v.KindCase == Value.KindOneofCase.StringValue)
            ? [.. value.ListValue.Values.Select(v => v.StringValue)]
            : null;
    }

    /// <summary>api_graph_routing's fitting settings (methods-api.md §5 defaults; `embedding_model` is an alias of
    /// embedding_model_name, in_edges other than 3 is refused): the embedder, the task description (default the task)
    /// and the training options.</summary>
    public static (string Embedder, string TaskDescription, Graph.GraphTrainingOptions Options) GraphTraining(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var h = context.Hyperparameters;
        if (Number(h, "in_edges", 3) != 3)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.in_edges", "UNSUPPORTED", "edges carry 3 features (effect, cost, effect)",
                new Dictionary<string, string> { ["fix"] = "drop in_edges or set it to 3" }));
        }
        List<double> split = h?.Fields.TryGetValue("split_ratio", out var ratio) == true && ratio.KindCase == Value.KindOneofCase.ListValue
            ? [.. ratio.ListValue.Values.Select(v => v.NumberValue)]
            : [0.8, 0.1, 0.1];
        if (split.Count != 3 || split.Any(r => r is < 0 or > 1))
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.split_ratio", "INVALID_VALUE", "needs 3 shares in [0, 1] (train, val, test)",
                new Dictionary<string, string> { ["fix"] = "e.g. [0.8, 0.1, 0.1]" }));
        }
        var embedder = String(h, "embedding_model_name", String(h, "embedding_model", "sentence-transformers/all-MiniLM-L6-v2"));
        var options = new Graph.GraphTrainingOptions((int)Number(h, "hidden_features", 8), Number(h, "learning_rate", 1e-4), Number(h, "weight_decay", 1e-4),
            (int)Number(h, "train_epochs", 500), (int)Number(h, "batch_size", 32), Number(h, "train_mask_rate", 0.5), split);
        return (embedder, String(h, "task_description", context.Task), options);
    }

    /// <summary>api_cascade's settings (methods-api.md §6 defaults): logit mode or just_ask, and the dev quantile each
    /// level's threshold sits at.</summary>
    public static (bool Logit, double Percentage) Cascade(RouterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var mode = String(context.Hyperparameters, "mode", "logit");
        if (mode is not ("logit" or "just_ask"))
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.mode", "UNKNOWN_VALUE", $"\"{mode}\" is not a cascade mode",
                new Dictionary<string, string> { ["fix"] = "use \"logit\" or \"just_ask\"" }));
        }
        return (mode == "logit", Number(context.Hyperparameters, "percentage", 0.5));
    }

    private static string String(Struct? hyperparameters, string key, string fallback) =>
        hyperparameters is not null && hyperparameters.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue
            ? value.StringValue
            : fallback;

    private static bool Bool(Struct? hyperparameters, string key, bool fallback) =>
        hyperparameters is not null && hyperparameters.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.BoolValue
            ? value.BoolValue
            : fallback;

    private static double Number(Struct? hyperparameters, string key, double fallback) =>
        hyperparameters is not null && hyperparameters.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.NumberValue
            ? value.NumberValue
            : fallback;
}
