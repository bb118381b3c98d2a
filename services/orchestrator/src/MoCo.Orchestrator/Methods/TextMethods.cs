using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>The twelve text-level methods (methods-text.md; keys: config-and-cli.md §1.3).</summary>
internal static class TextMethods
{
    private static readonly IReadOnlySet<string> Extractable = ApiMethods.Set("multiple_choice", "exact_match", "f1_match");

    public static IEnumerable<MethodDescriptor> All()
    {
        yield return new MethodDescriptor("text_agglm", MethodLevel.Text, "agglm",
        [
            P.Model("agg_model", null),
            P.Path("agglm_log_path", "model_collaboration/logs/agglm"),
            P.Bool("reuse_log", true),
            P.Num("learning_rate", 1e-4, min: 0, minExclusive: true),
            P.Num("weight_decay", 1e-5, min: 0),
            P.Str("lr_scheduler", "cosine"),
            P.Int("max_epochs", 1, min: 1),
            P.Int("train_batch_size", 4, min: 1),
            P.Int("sample_size", 2, min: 1),
        ])
        {
            GeneralDefaults = ApiMethods.Defaults((GeneralKeys.Temperature, 1.0)),
            Rules = [AggModelWarning, c => SideFolderRule(c, "agglm_log_path"), LrSchedulerRule],
            Summary = "an aggregator model, trained with GRPO, fuses the models' answers",
        };

        yield return new MethodDescriptor("text_bbmas", MethodLevel.Text, "bbmas",
        [
            P.Int("max_num_agents_to_act", 1, min: 1),
            P.Int("min_num_agents_to_stop", 1, min: 1),
            P.Int("agent_idle_threshold", 6, min: 1),
            P.Int("max_iterations", 10, min: 1),
            P.Int("max_num_retries", 3, min: 0),
            P.Bool("agents_use_own_model", false) with { Description = "MoCo.NET: each agent uses its own model instead of the best dev model" },
        ])
        {
            IgnoredGeneralKeys = ApiMethods.Set(GeneralKeys.Temperature, GeneralKeys.TopP),
            Summary = "agents collaborate on a shared blackboard",
        };

        yield return new MethodDescriptor("text_heterogeneous_swarms", MethodLevel.Text, "heterogeneous_swarms",
        [
            P.Int("population", 5, min: 1),
            P.Int("max_iterations", 5, min: 1),
            P.Num("ratio", 0.25, 0, 1, minExclusive: true),
            .. PsoKeys.All,
        ])
        {
            Summary = "particle swarm search over DAGs of the models",
        };

        yield return new MethodDescriptor("text_knowledge_card", MethodLevel.Text, "knowledge_card",
        [
            P.Bool("exclude_self", false),
        ])
        {
            Summary = "every model writes a knowledge paragraph; the best dev model answers with them",
        };

        yield return new MethodDescriptor("text_llm_blender", MethodLevel.Text, "llm_blender", LlmBlenderKeys())
        {
            Summary = "a ranker picks the top-k candidates; a fuser writes the answer",
        };

        yield return new MethodDescriptor("text_majority_vote", MethodLevel.Text, "majority_vote",
        [
            P.Enum("tie", "random", "random", "dev-based"),
        ])
        {
            TaskTypes = Extractable,
            Summary = "the most common extracted answer wins",
        };

        yield return new MethodDescriptor("text_multiagent_feedback", MethodLevel.Text, "multiagent_feedback",
        [
            P.Int("round", 3, min: 1) with { Description = "rounds including the initial answer (1 = no feedback)" },
            P.Int("feedback_count", 3, min: 0) with { Description = "feedback messages per answer, capped at n − 1" },
        ])
        {
            Summary = "models revise their answers on each other's feedback; the best dev model summarizes",
        };

        yield return new MethodDescriptor("text_multiagent_finetuning", MethodLevel.Text, "multiagent_finetuning",
        [
            P.Int("iterations", 1, min: 0) with { Description = "debate → datasets → SFT cycles (0 = plain debate + vote)" },
            P.Int("rounds", 2, min: 1),
            P.Num("w", 0.5, 0, 1),
            P.Num("training_ratio", 1.0, 0, 1, minExclusive: true),
            P.Int("sft_epochs", 1, min: 1),
            P.Num("sft_learning_rate", 1e-5, min: 0, minExclusive: true),
            P.Int("sft_batch_size", 1, min: 1),
            P.Int("sft_grad_accum", 16, min: 1),
        ])
        {
            TaskTypes = Extractable,
            Summary = "debating agents are fine-tuned as generators and critics on their own debates",
        };

        yield return new MethodDescriptor("text_multiagent_refine", MethodLevel.Text, "multiagent_refine",
        [
            P.Int("round", 3, min: 1) with { Description = "rounds including the initial answer" },
        ])
        {
            Summary = "models refine their answers on each other's; the best dev model summarizes",
        };

        yield return new MethodDescriptor("text_slm_mux", MethodLevel.Text, "slm_mux",
        [
            P.Int("samples_per_model", 5, min: 1),
            P.Enum("tie", "dev-based", "dev-based", "model-order", "random"),
            P.Int("seed", 42),
        ])
        {
            DistinctModels = true,
            Summary = "each model samples several answers; the most self-consistent model's answer wins",
        };

        yield return new MethodDescriptor("text_sparta", MethodLevel.Text, "text_sparta", SpartaKeys())
        {
            MinModels = 3,
            DistinctModels = true,
            GeneralDefaults = ApiMethods.Defaults((GeneralKeys.MaxResponseLength, 256L), (GeneralKeys.BatchSize, 1L)),
            Rules = [c => SideFolderRule(c, "base_dir")],
            Summary = "models judge each other in Elo-rated matches and are trained with DPO",
        };

        yield return new MethodDescriptor("text_structure", MethodLevel.Text, "text_structure",
        [
            P.Int("num_rounds", 3, min: 1),
            new ParamSpec("structure_type", ParamType.Enum) { Required = true, Values = ["chain", "tree", "star", "circle", "complete", "other"] },
            new ParamSpec("structure_matrix", ParamType.Matrix01) { Default = ParamDefault.Null, Nullable = true },
        ])
        {
            Rules = [StructureRules],
            Summary = "models exchange answers along a fixed communication graph",
        };
    }

    private static List<ParamSpec> LlmBlenderKeys()
    {
        List<ParamSpec> keys =
        [
            P.Int("top_k", 3, min: 1) with { Description = "candidates fused, clipped to [1, n]" },
            P.Model("ranker_model_name", "Qwen/Qwen2.5-7B-Instruct") with { LoadedByDefault = true },
            P.GpuOf("ranker_gpu_id", "ranker_model_name"),
            P.Int("ranker_max_response_length", 128, min: 1),
            P.Model("fuser_model_name", null) with { Description = "null or \"\" = model_names[0]", EmptyMeansDefault = true },
            P.GpuOf("fuser_gpu_id", "fuser_model_name"),
            P.Derived("fuser_max_response_length", ParamType.Int, "max_response_length", c => c.Effective(GeneralKeys.MaxResponseLength)) with { Min = 1 },
            P.Bool("train_ranker_on_dev", false),
            P.Bool("train_fuser_on_dev", false),
            P.Enum("ranker_decision", "generate", "generate", "logprob") with { Description = "MoCo.NET: logprob compares log P(\"A\") and log P(\"B\")" },
        ];
        foreach (var role in new[] { "ranker", "fuser" })
        {
            keys.Add(P.Int($"{role}_sft_batch_size", 1, min: 1));
            keys.Add(P.Int($"{role}_sft_gradient_accumulation_steps", 16, min: 1));
            keys.Add(P.Num($"{role}_sft_learning_rate", 1e-5, min: 0, minExclusive: true));
            keys.Add(P.Int($"{role}_sft_epoch", 3, min: 1));
        }
        return keys;
    }

    private static List<ParamSpec> SpartaKeys() =>
    [
        P.Int("num_iterations", 3, min: 0),
        P.Int("current_iteration", 0, min: 0),
        P.Path("base_dir", "model_collaboration/logs/text_sparta"),
        P.Int("judge_batch_size", 8, min: 1),
        P.Int("judge_rounds", 1, min: 1),
        P.Int("num_instructions", 500, min: 1),
        P.Num("random_match_prob", 0.2, 0, 1),
        P.Int("num_opponents", 3, min: 1),
        P.Num("initial_k", 10.0),
        P.Num("min_k", 5.0),
        P.Int("window_size", 10, min: 1),
        P.Num("min_deviation", 0.1),
        P.Num("epsilon", 0.01),
        P.Num("decay_rate", 0.9),
        P.Int("decay_steps", 10, min: 1),
        P.Num("scaling_factor", 20.0),
        P.Enum("score_type", "normal", "normal", "dynamic", "static"),
        P.Bool("freeze_ratings", false),
        P.Bool("debug", false),
    ];

    // Side files stay in the run's artifact folder (config-and-cli.md §3.3): a path key must be relative and stay inside.
    private static void SideFolderRule(RuleContext c, string key)
    {
        if (c[key].ValueKind != JsonValueKind.String)
        {
            return;
        }
        try
        {
            Text.SideFolders.Relative(key, c[key].GetString());
        }
        catch (ArgumentException)
        {
            c.Fail(key, $"\"{c[key].GetString()}\" leaves the run's artifact folder (absolute, empty, or with '.'/'..' parts)",
                "write a relative folder such as the default, e.g. \"model_collaboration/logs/…\"");
        }
    }

    // text_agglm's GRPO runs on Train, whose schedules are cosine, linear and constant (warmup first).
    private static void LrSchedulerRule(RuleContext c)
    {
        if (c["lr_scheduler"].ValueKind == JsonValueKind.String && c["lr_scheduler"].GetString() is not ("cosine" or "linear" or "constant"))
        {
            c.Fail("lr_scheduler", $"\"{c["lr_scheduler"].GetString()}\" is not a schedule the trainer runs", "use \"cosine\" (default), \"linear\" or \"constant\"");
        }
    }

    // methods-text.md §6: without agg_model the reference warns and aggregates with Qwen/Qwen2.5-1.5B-Instruct.
    private static void AggModelWarning(RuleContext c)
    {
        if (c["agg_model"].ValueKind == JsonValueKind.Null)
        {
            c.Sink.Warning("", RuleContext.PathOf("agg_model"), "no agg_model: the aggregator is Qwen/Qwen2.5-1.5B-Instruct",
                "set agg_model to choose the aggregator");
        }
    }

    // methods-text.md §9: `other` needs an N×N matrix, which the built-ins ignore (warning); a star needs a hub and a
    // rim (the reference crashes with one model); one round means no interaction (warning, as the reference prints).
    private static void StructureRules(RuleContext c)
    {
        var type = c["structure_type"].ValueKind == JsonValueKind.String ? c["structure_type"].GetString() : null;
        var matrix = c["structure_matrix"];
        if (type == "other" && matrix.ValueKind == JsonValueKind.Null)
        {
            c.Fail("structure_matrix", "structure_type \"other\" needs structure_matrix", $"give an {c.N}×{c.N} matrix of 0/1 (M[i][j] = 1: model j sees model i)", ConfigCodes.Missing);
            return;
        }
        if (matrix.ValueKind == JsonValueKind.Array && (matrix.GetArrayLength() != c.N || matrix.EnumerateArray().Any(r => r.GetArrayLength() != c.N)))
        {
            c.Fail("structure_matrix", $"must be {c.N}×{c.N} (one row and column per model)", $"give {c.N} rows of {c.N} entries");
        }
        if (type is not null and not "other" && matrix.ValueKind != JsonValueKind.Null)
        {
            c.Sink.Warning("", RuleContext.PathOf("structure_matrix"), $"ignored: structure_type \"{type}\" builds its own graph",
                "drop structure_matrix, or set structure_type to \"other\" to use it");
        }
        if (type == "star" && c.N < 2)
        {
            c.Fail("structure_type", $"\"star\" needs at least 2 models (a hub and a rim), got {c.N}", "add models or choose another structure_type");
        }
        if (JsonValues.TryInt(c["num_rounds"], out var rounds) && rounds == 1)
        {
            c.Sink.Warning("", RuleContext.PathOf("num_rounds"), "num_rounds 1: the models answer independently and never see each other",
                "use num_rounds ≥ 2 for interaction");
        }
    }
}
