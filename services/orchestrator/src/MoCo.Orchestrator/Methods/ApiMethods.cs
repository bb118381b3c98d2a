using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>The eight API-level methods (methods-api.md; keys: config-and-cli.md §1.3).</summary>
internal static class ApiMethods
{
    private const string Skywork = "Skywork/Skywork-Reward-Llama-3.1-8B-v0.2";
    private const string QwenInstruct = "Qwen/Qwen2.5-7B-Instruct";

    private static readonly string[] MentorTrainGenerators =
    [
        "Qwen/Qwen3-1.7B", "Qwen/Qwen3-8B-Base", "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.2-3B-Instruct",
        "google/gemma-3-4b-it", "google/gemma-3-4b-pt",
    ];

    public static IEnumerable<MethodDescriptor> All()
    {
        yield return new MethodDescriptor("api_cascade", MethodLevel.Api, "api_cascade",
        [
            P.Enum("mode", "logit", "logit", "just_ask"),
            P.Num("percentage", 0.5, 0, 1) with { Description = "dev-confidence quantile used as threshold" },
        ])
        {
            GeneralDefaults = Defaults((GeneralKeys.MaxResponseLength, 256L), (GeneralKeys.BatchSize, 8L)),
            Summary = "cascade weak → strong models, escalating when confidence is below a dev quantile",
        };

        yield return new MethodDescriptor("api_collm", MethodLevel.Api, "collm",
        [
            P.Str("training_dataset_name", "nlile/hendrycks-MATH-benchmark"),
            P.Str("training_split", "train"),
            P.Int("training_num", 10000, min: 1),
            P.Int("max_sequence_length", 2048, min: 1),
            P.Num("deferral_threshold", 0.5, 0, 1),
            P.Enum("deferral_strategy", "defer", "defer", "compose"),
            P.Enum("threshold_warmup_schedule", "none", "none", "linear", "cosine"),
            P.Int("threshold_warmup_steps", 15, min: 0),
        ])
        {
            MinModels = 2,
            MaxModels = 2,
            IgnoredGeneralKeys = Set(GeneralKeys.Temperature, GeneralKeys.TopP, GeneralKeys.BatchSize),
            Aliases = new Dictionary<string, string> { ["max_seq_length"] = "max_sequence_length" },
            Summary = "a generator learns token by token when to defer to a mentor (generator, mentor)",
        };

        yield return new MethodDescriptor("api_graph_routing", MethodLevel.Api, "graph_routing",
        [
            P.Required("model_descriptions", ParamType.StringList),
            P.Derived("task_description", ParamType.String, "the task", c => JsonValues.Of(c.Task)),
            P.Model("embedding_model_name", "sentence-transformers/all-MiniLM-L6-v2"),
            P.Int("hidden_features", 8, min: 1),
            P.Int("in_edges", 3, min: 1),
            P.Num("learning_rate", 1e-4, min: 0, minExclusive: true),
            P.Num("weight_decay", 1e-4, min: 0),
            P.Int("train_epochs", 500, min: 1),
            P.Num("train_mask_rate", 0.5, 0, 1),
            new ParamSpec("split_ratio", ParamType.NumberList) { Default = ParamDefault.Constant(new[] { 0.8, 0.1, 0.1 }), Length = 3, Min = 0, Max = 1 },
            P.Enum("scenario", "Performance First", "Performance First", "Balance", "Cost First"),
        ])
        {
            Aliases = new Dictionary<string, string> { ["embedding_model"] = "embedding_model_name" },
            Rules = [Rules.OnePerModel("model_descriptions"), ThreeEdgeFeatures],
            Summary = "a graph neural network routes each query to a model",
        };

        yield return new MethodDescriptor("api_mentor_collab", MethodLevel.Api, "mentor_collab",
        [
            P.Derived("decision_proportion", ParamType.Number, "25 (compat reference: 0.25)",
                c => JsonValues.Of(c.Compat == CompatMode.Reference ? 0.25 : 25.0)) with { Min = 0, Max = 100, Description = "percent of steps consulting the mentor" },
            P.Int("patch_size", 16, min: 1),
            P.Enum("mode", "free", "free", "train"),
            P.Enum("task", "General", "General", "Math"),
            P.Num("mlp_threshold", 0.5),
        ])
        {
            MinModels = 2,
            MaxModels = 2,
            IgnoredGeneralKeys = Set(GeneralKeys.Temperature, GeneralKeys.TopP, GeneralKeys.BatchSize),
            Rules = [DecisionProportion, TrainGenerator],
            Summary = "a generator consults a mentor at random steps; a judge picks the patch (generator, mentor)",
        };

        yield return new MethodDescriptor("api_nudging", MethodLevel.Api, "nudging",
        [
            P.Num("gamma", 0.4, 0, 1, minExclusive: true, maxExclusive: true),
            P.Int("base_model_id", 0, min: 0),
            P.Int("nudging_model_id", 1, min: 0),
            P.Bool("use_kv_cache", false),
            P.Bool("search_gamma", false),
            P.Bool("search_nudging", false),
            P.Bool("do_sample", true),
        ])
        {
            MinModels = 2,
            IgnoredGeneralKeys = Set(GeneralKeys.TopP),
            Rules = [Rules.ModelIndex("base_model_id"), Rules.ModelIndex("nudging_model_id"), DistinctNudging],
            Summary = "a base model writes; a nudging model takes over when the base is uncertain",
        };

        yield return new MethodDescriptor("api_prompt_routing", MethodLevel.Api, "prompt_routing",
        [
            P.Required("model_descriptions", ParamType.StringList),
        ])
        {
            Rules = [Rules.OnePerModel("model_descriptions")],
            Summary = "a prompted model routes each query using the model descriptions",
        };

        yield return new MethodDescriptor("api_switch_generation", MethodLevel.Api, "switch_generation",
        [
            P.Int("patch_size", 25, min: 1),
            P.Model("selector_model_name", null),
            P.Model("selector_base_model", QwenInstruct),
            P.Bool("objective_flag", false),
            P.Int("training_instance_num", 500, min: 1),
            P.Int("rollout_per_instance", 16, min: 1),
            P.GpuOf("reward_model_gpu_id", "reward_model_name"),
            P.Model("reward_model_name", Skywork),
            P.Bool("wait_flag", false),
        ])
        {
            Rules = [SwitchTraining],
            Summary = "a selector picks which model writes each patch of tokens",
        };

        yield return new MethodDescriptor("api_trained_router", MethodLevel.Api, "trained_router",
        [
            P.Model("router_base_model", QwenInstruct),
            new ParamSpec("model_descriptions", ParamType.StringList) { Default = ParamDefault.Null, Nullable = true },
            P.GpuOf("reward_model_gpu_id", "reward_model_name"),
            P.Model("reward_model_name", Skywork),
        ])
        {
            Rules = [Rules.OnePerModel("model_descriptions")],
            Summary = "an SFT-trained router picks a model per query",
        };
    }

    private static void DecisionProportion(RuleContext c)
    {
        if (c.Written("decision_proportion") && JsonValues.TryNumber(c["decision_proportion"], out var v) && v < 1)
        {
            c.Sink.Warning("", RuleContext.PathOf("decision_proportion"),
                $"{v} is a percentage in MoCo.NET: under 1 % of steps consult the mentor (the reference compared 0.25 with 1–100, so it never did)",
                "write a percentage such as 25");
        }
    }

    private static void TrainGenerator(RuleContext c)
    {
        if (c["mode"].GetString() == "train" && c.N > 0 && !MentorTrainGenerators.Contains(c.ModelNames[0]))
        {
            c.Fail("model_names", $"mode \"train\" needs a generator with a trained MLP, got \"{c.ModelNames[0]}\"",
                $"use mode \"free\", or a generator among {string.Join(", ", MentorTrainGenerators)}");
        }
    }

    // The edge features are (effect, cost, effect): the reference's in_edges must be 3 (methods-api.md §5, fix).
    private static void ThreeEdgeFeatures(RuleContext c)
    {
        if (JsonValues.TryInt(c["in_edges"], out var edges) && edges != 3)
        {
            c.Fail("in_edges", $"must be 3 (the edge features are effect, cost, effect), got {edges}", "remove in_edges or set it to 3");
        }
    }

    private static void DistinctNudging(RuleContext c)
    {
        if (JsonValues.TryInt(c["base_model_id"], out var b) && JsonValues.TryInt(c["nudging_model_id"], out var g) && b == g)
        {
            c.Fail("nudging_model_id", $"equals base_model_id ({b})", "name two different models");
        }
    }

    private static void SwitchTraining(RuleContext c)
    {
        if (c["selector_model_name"].ValueKind == JsonValueKind.Null
            && JsonValues.TryInt(c[GeneralKeys.MaxResponseLength], out var max) && JsonValues.TryInt(c["patch_size"], out var patch) && max < 4 * patch)
        {
            c.Fail(GeneralKeys.MaxResponseLength, $"training a selector needs max_response_length >= 4·patch_size ({4 * patch}), got {max}",
                "raise max_response_length, lower patch_size, or give selector_model_name");
        }
    }

    internal static IReadOnlyDictionary<string, ParamDefault> Defaults(params (string Key, object Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value switch
        {
            long l => ParamDefault.Constant(l),
            double d => ParamDefault.Constant(d),
            _ => throw new ArgumentException($"unsupported default type {p.Value.GetType()}"),
        });

    internal static IReadOnlySet<string> Set(params string[] keys) => new HashSet<string>(keys, StringComparer.Ordinal);
}
