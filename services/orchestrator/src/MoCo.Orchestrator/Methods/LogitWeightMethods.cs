using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>The two logit-level and five weight-level methods and single_model (methods-logit-weight.md; keys:
/// config-and-cli.md §1.3).</summary>
internal static class LogitWeightMethods
{
    public static IEnumerable<MethodDescriptor> All()
    {
        var logitIgnores = ApiMethods.Set(GeneralKeys.TopP);

        yield return new MethodDescriptor("logit_logit_fusion", MethodLevel.Logit, "logit_fusion",
        [
            P.Enum("mode", "average", "average", "optimized") with { NotImplementedValues = ["optimized"] },
            new ParamSpec("weights", ParamType.NumberList) { Default = ParamDefault.Null, Nullable = true, Description = "MoCo.NET: fusion weights, used as given" },
        ])
        {
            IgnoredGeneralKeys = logitIgnores,
            Rules = [Rules.OnePerModel("weights"), Rules.NotAllZero("weights")],
            Summary = "the models decode one sequence together from their averaged next-token logits",
        };

        yield return new MethodDescriptor("logit_logit_contrastive", MethodLevel.Logit, "logit_contrastive",
        [
            P.Int("k", 1, min: 1),
            P.Num("lambda_", 0.2),
            P.Num("plausibility_alpha", 0, 0, 1) with { Description = "MoCo.NET: plausibility cut anchored on the top model; 0 = off" },
        ])
        {
            MinModels = 2,
            IgnoredGeneralKeys = logitIgnores,
            Rules = [Rules.IntWithin("k", _ => 1, n => n / 2, "models in each of the top and bottom sets")],
            Summary = "decode with the top model plus λ·(top-k − bottom-k) logits, ranked on dev",
        };

        yield return new MethodDescriptor("weight_dare_ties", MethodLevel.Weight, "dare_ties",
        [
            P.Required("base_model_name", ParamType.Model),
            P.Enum("mode", "average", "average", "optimized"),
            P.Int("population", 5, min: 1),
            P.Int("max_iterations", 5, min: 1),
            P.Path("dare_ties_base_path", "model_collaboration/logs/dare_ties/"),
            .. PsoKeys.All,
            new ParamSpec("density", ParamType.NumberOrList) { Default = ParamDefault.Constant(1.0), Min = 0, Max = 1, MinExclusive = true, Description = "MoCo.NET: DARE keep probability" },
            P.Num("lambda", 1.0) with { Description = "MoCo.NET: scale of the merged task vector" },
            P.Bool("normalize", false),
            P.Enum("rescale", "l1", "l1", "inverse_density", "none"),
        ])
        {
            Rules = [Rules.OnePerModel("density")],
            Summary = "DARE-TIES merge of fine-tunes of one base, uniform or PSO-searched weights",
        };

        yield return new MethodDescriptor("weight_expo", MethodLevel.Weight, "expo",
        [
            P.Enum("mode", "worst_to_best", "worst_to_best", "topk_bottomk", "pairs"),
            P.Num("alpha", 0.3),
            P.Enum("alpha_mode", "fixed", "fixed", "optimized"),
            new ParamSpec("alpha_candidates", ParamType.NumberList) { Default = ParamDefault.Constant(new[] { 0.1, 0.2, 0.3, 0.4, 0.5 }) },
            P.Int("k", 1) with { Description = "clipped to [1, ⌊n/2⌋]" },
            P.Path("expo_base_path", "model_collaboration/logs/expo/"),
            P.Enum("pair_selection", "dpo_score", "dpo_score", "improvement", "sft_score"),
            new ParamSpec("sft_models", ParamType.ModelList) { Default = ParamDefault.Null, Nullable = true },
            new ParamSpec("dpo_models", ParamType.ModelList) { Default = ParamDefault.Null, Nullable = true },
        ])
        {
            Rules = [ExpoPairs],
            Summary = "extrapolate past the better model along worse → better (ExPO)",
        };

        yield return new MethodDescriptor("weight_greedy_soup", MethodLevel.Weight, "greedy_soup", [])
        {
            Summary = "add models to a uniform soup while the dev score improves",
        };

        yield return new MethodDescriptor("weight_lorahub", MethodLevel.Weight, "lorahub",
        [
            P.Int("seed", 42),
            P.Int("lorahub_dev_samples", 5, min: 1),
            P.Int("max_inference_step", 20, min: 1),
            P.Num("lora_weight_bound", 1.5, min: 0, minExclusive: true),
            P.Num("regular_coef", 0.05, min: 0),
        ])
        {
            GeneralDefaults = ApiMethods.Defaults((GeneralKeys.MaxResponseLength, 256L), (GeneralKeys.BatchSize, 4L)),
            IgnoredGeneralKeys = ApiMethods.Set(GeneralKeys.Temperature, GeneralKeys.TopP),
            Summary = "gradient-free search of LoRA adapter composition weights",
        };

        yield return new MethodDescriptor("weight_model_swarms", MethodLevel.Weight, "model_swarms",
        [
            P.Path("swarm_base_path", "model_collaboration/logs/model_swarms/"),
            P.Model("base_model", null) with { Description = "null = model_names[0], with a warning" },
            P.Bool("fast_merge_flag", false),
            P.Int("max_iterations", 10, min: 1),
            P.Bool("weight_randomness_flag", true),
            P.Num("inertia", 0.2),
            P.Num("cognitive_coefficient", 0.3),
            P.Num("social_coefficient", 0.4),
            P.Num("repel_coefficient", 0.05),
            P.Num("step_length", 0.5, min: 0, minExclusive: true),
            P.Bool("repel_term_flag", true),
            P.Num("step_length_factor", 0.95, min: 0, minExclusive: true),
            P.Num("minimum_step_length", 0.1, min: 0),
            P.Int("patience", 5, min: 2),
            P.Int("restart_patience", 3, min: 2),
        ])
        {
            MinModels = 2,
            Rules = [BaseModelWarning],
            Summary = "particle swarm search in weight space over the models",
        };

        yield return new MethodDescriptor("single_model", MethodLevel.Single, "single_model", [])
        {
            MaxModels = 1,
            GeneralDefaults = ApiMethods.Defaults((GeneralKeys.MaxResponseLength, 100L), (GeneralKeys.BatchSize, 8L)),
            Summary = "one model alone (the baseline)",
        };
    }

    private static void ExpoPairs(RuleContext c)
    {
        if (c["mode"].GetString() != "pairs")
        {
            return;
        }
        var sft = c["sft_models"];
        var dpo = c["dpo_models"];
        if (sft.ValueKind == JsonValueKind.Array || dpo.ValueKind == JsonValueKind.Array)
        {
            var a = sft.ValueKind == JsonValueKind.Array ? sft.GetArrayLength() : 0;
            var b = dpo.ValueKind == JsonValueKind.Array ? dpo.GetArrayLength() : 0;
            if (a != b)
            {
                c.Fail("dpo_models", $"pairs mode pairs sft_models with dpo_models, but they have {a} and {b} entries", "give both lists the same length");
            }
        }
        else if (c.N % 2 != 0)
        {
            c.Fail("model_names", $"pairs mode without sft_models/dpo_models pairs consecutive models, but there are {c.N}",
                "give an even number of models, or sft_models and dpo_models");
        }
    }

    private static void BaseModelWarning(RuleContext c)
    {
        if (c["base_model"].ValueKind == JsonValueKind.Null && c.N > 0)
        {
            c.Sink.Warning("", RuleContext.PathOf("base_model"), $"no base_model: model_names[0] (\"{c.ModelNames[0]}\") is the base",
                "set base_model to choose the base");
        }
    }
}
