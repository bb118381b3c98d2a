using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Tests.Config;

/// <summary>Configs the reference accepts validate unchanged, with every default filled (config-and-cli.md §1).</summary>
public sealed class GoodConfigTests
{
    private static RunConfig Valid(string text)
    {
        var result = TestData.Validate(text);
        Assert.True(result.Valid, string.Join("\n", result.Problems.Select(p => p.Format("test.json"))));
        return result.Config!;
    }

    [Fact]
    public void The_reference_test_config_validates_with_defaults_filled()
    {
        var config = Valid("""
            {"method": "text_multiagent_refine", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [0, 1, 2],
             "model_names": ["allenai/Llama-3.1-Tulu-3-8B-SFT", "allenai/Llama-3.1-Tulu-3-8B-DPO", "allenai/Llama-3.1-Tulu-3-8B"],
             "hyperparameters": {"max_response_length": 256, "temperature": 0.7, "top_p": 0.9, "batch_size": 8, "round": 1}}
            """);
        Assert.Equal("text_multiagent_refine", config.Method);
        Assert.Equal(1, config.Hyperparameters.Int("round"));
        Assert.Equal(256, config.Hyperparameters.Int("max_response_length"));
        Assert.False(config.Hyperparameters.Bool("big_model_mode"));
        Assert.Equal(CompatMode.Moco, config.Compat);
        Assert.Null(config.Seed);
        Assert.Equal("auto", config.Device);
        Assert.Equal(10, config.Evaluation.Sandbox.TimeoutS);
        Assert.EndsWith("agieval_tiny.json", config.DatasetPath);
    }

    [Fact]
    public void The_complete_example_of_the_spec_validates_and_derives_defaults()
    {
        var config = Valid(File.ReadAllText(Path.Combine(RepoRoot(), "examples", "text_llm_blender.json")));
        Assert.Equal(1234UL, config.Seed);
        Assert.Equal(2, config.Hyperparameters.Int("top_k"));
        Assert.Equal(768, config.Hyperparameters.Int("fuser_max_response_length"));
        Assert.Equal(0, config.Hyperparameters.Int("ranker_gpu_id"));
        Assert.Equal(128, config.Hyperparameters.Int("ranker_max_response_length"));
        Assert.Null(config.Hyperparameters.String("fuser_model_name"));
        Assert.Equal("generate", config.Hyperparameters.String("ranker_decision"));
    }

    [Fact]
    public void Every_example_config_validates()
    {
        var files = Directory.GetFiles(Path.Combine(RepoRoot(), "examples"), "*.json").Concat(Directory.GetFiles(Path.Combine(RepoRoot(), "examples", "smoke"), "*.json"));
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var result = new ConfigValidator(Orchestrator.Methods.MethodRegistry.Default).ValidateFile(file, TestData.Options());
            Assert.True(result.Valid, file + "\n" + string.Join("\n", result.Problems.Select(p => p.Format(file))));
        }
    }

    [Fact]
    public void Comments_trailing_commas_integral_floats_and_zero_one_booleans_are_accepted()
    {
        var config = Valid("""
            // a commented config, as the user guide shows
            {
                "method": "text_agglm", /* inline */
                "task": "agieval_tiny",
                "task_type": "multiple_choice",
                "gpu_ids": [0],
                "model_names": ["a/b", "c/d",],
                "hyperparameters": {"max_response_length": 512.0, "reuse_log": 0, "train_batch_size": 4, "agg_model": "x/y",},
                "_note": "ignored",
                "$schema": "../schemas/moco-config.schema.json",
            }
            """);
        Assert.Equal(512, config.Hyperparameters.Int("max_response_length"));
        Assert.False(config.Hyperparameters.Bool("reuse_log"));
        Assert.Equal(1.0, config.Hyperparameters.Number("temperature"));
    }

    [Fact]
    public void Single_model_takes_its_own_defaults()
    {
        var config = Valid("""{"method":"single_model","task":"gsm8k","task_type":"exact_match","gpu_ids":[],"model_names":["m/x"],"hyperparameters":{}}""");
        Assert.Equal(100, config.Hyperparameters.Int("max_response_length"));
        Assert.Equal(8, config.Hyperparameters.Int("batch_size"));
    }

    [Fact]
    public void An_empty_fuser_model_name_means_the_first_model_and_an_empty_ranker_is_still_an_error()
    {
        var config = Valid("""{"method":"text_llm_blender","task":"gsm8k","task_type":"exact_match","gpu_ids":[],"model_names":["a","b"],"hyperparameters":{"ranker_model_name":"a","fuser_model_name":""}}""");
        Assert.Null(config.Hyperparameters.String("fuser_model_name"));
        var empty = TestData.Validate("""{"method":"text_llm_blender","task":"gsm8k","task_type":"exact_match","gpu_ids":[],"model_names":["a","b"],"hyperparameters":{"ranker_model_name":""}}""");
        Assert.Contains(empty.Errors, p => p.Path == "hyperparameters.ranker_model_name");
    }

    [Fact]
    public void A_missing_task_type_is_taken_from_the_dataset_with_a_notice()
    {
        var result = TestData.Validate("""{"method":"text_majority_vote","task":"gsm8k","gpu_ids":[],"model_names":["a","b","c"],"hyperparameters":{}}""");
        Assert.True(result.Valid);
        Assert.Equal("exact_match", result.Config!.TaskType);
        Assert.True(result.Config.TaskTypeFromDataset);
        Assert.Contains(result.Warnings, w => w.Severity == ProblemSeverity.Notice && w.Path == "task_type");
    }

    [Fact]
    public void MoCo_extensions_compat_seed_device_and_evaluation_are_read()
    {
        var config = Valid("""
            {"method":"weight_dare_ties","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],
             "hyperparameters":{"base_model_name":"Qwen/Qwen2.5-7B-Instruct","density":[0.5,1.0],"rescale":"none"},
             "compat":"reference","seed":7,"device":"cuda:0,1",
             "evaluation":{"limit":5,"limit_seed":3,"reward_model":{"kind":"judge"},"sandbox":{"timeout_s":2.5,"max_parallel":2}}}
            """);
        Assert.Equal(CompatMode.Reference, config.Compat);
        Assert.Equal(7UL, config.Seed);
        Assert.Equal("cuda:0,1", config.Device);
        Assert.Equal(5, config.Evaluation.Limit);
        Assert.Equal(3UL, config.Evaluation.LimitSeed);
        Assert.Equal("judge", config.Evaluation.RewardModelKind);
        Assert.Equal("Skywork/Skywork-Reward-Llama-3.1-8B-v0.2", config.Evaluation.RewardModel);
        Assert.Equal(2.5, config.Evaluation.Sandbox.TimeoutS);
        Assert.Equal(2, config.Evaluation.Sandbox.MaxParallel);
        Assert.Equal(5, config.Hyperparameters.Int("patience"));
    }

    [Fact]
    public void Compat_reference_changes_the_mentor_default_to_the_codes()
    {
        const string text = """{"method":"api_mentor_collab","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0,1],"model_names":["g","m"],"hyperparameters":{"max_response_length":64}COMPAT}""";
        Assert.Equal(25.0, Valid(text.Replace("COMPAT", "")).Hyperparameters.Number("decision_proportion"));
        Assert.Equal(0.25, Valid(text.Replace("COMPAT", ",\"compat\":\"reference\"")).Hyperparameters.Number("decision_proportion"));
    }

    [Fact]
    public void The_hyperparameters_as_written_are_kept_for_the_logs()
    {
        var config = Valid("""{"method":"text_structure","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b","c"],"hyperparameters":{"structure_type":"other","structure_matrix":[[0,1,0],[0,0,1],[0,0,0]],"top_p":1}}""");
        Assert.Equal("""{"structure_type":"other","structure_matrix":[[0,1,0],[0,0,1],[0,0,0]],"top_p":1}""", config.Hyperparameters.Written.GetRawText());
    }

    internal static string RepoRoot() => TestData.RepoRoot;
}
