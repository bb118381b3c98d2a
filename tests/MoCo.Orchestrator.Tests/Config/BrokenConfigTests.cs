using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Tests.Config;

/// <summary>Every key of a config, broken: the code, key path, position and fix of config-and-cli.md §1.5.</summary>
public sealed class BrokenConfigTests
{
    private const string Base = """{"method":"text_multiagent_refine","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{HYPER}EXTRA}""";

    private static string With(string hyper = "", string extra = "") => Base.Replace("HYPER", hyper).Replace("EXTRA", extra);

    private static ValidationResult Invalid(string text, bool allowUnknownKeys = false)
    {
        var result = TestData.Validate(text, allowUnknownKeys);
        Assert.False(result.Valid, "expected an invalid config");
        Assert.Null(result.Config);
        return result;
    }

    private static ConfigProblem Error(ValidationResult result, string code, string path) =>
        result.Errors.FirstOrDefault(p => p.Code == code && p.Path == path)
        ?? throw new Xunit.Sdk.XunitException($"no {code} at {path}; got:\n{string.Join("\n", result.Problems.Select(p => p.Format("test.json")))}");

    [Fact]
    public void Malformed_json_is_CFG001_with_line_and_column()
    {
        var result = Invalid("{\n  \"method\": \"x\",\n  \"task\" \"agieval_tiny\"\n}");
        var problem = Assert.Single(result.Errors);
        Assert.Equal(ConfigCodes.Syntax, problem.Code);
        Assert.Equal(3, problem.Line);
        Assert.Equal(10, problem.Column);
        Assert.StartsWith("test.json:3:10: invalid JSON", problem.Format("test.json"));
    }

    [Fact]
    public void A_duplicate_key_is_CFG001_and_the_rest_is_still_checked()
    {
        var result = Invalid(With("\"round\": 1, \"round\": 2, \"rounds\": 3"));
        var duplicate = Error(result, ConfigCodes.Syntax, "hyperparameters.round");
        Assert.Equal((1, 157), (duplicate.Line, duplicate.Column));
        Error(result, ConfigCodes.UnknownKey, "hyperparameters.rounds");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_the_spec_shape()
    {
        var text = """
            {
                "method": "text_multiagent_refine",
                "task": "agieval_tiny",
                "task_type": "multiple_choice",
                "gpu_ids": [0],
                "model_names": ["a", "b"],
                "hyperparameters": {
                    "max_response_length": "abc",
                    "rounds": 3
                }
            }
            """;
        var result = Invalid(text);
        Assert.Equal(2, result.Errors.Count);
        var type = Error(result, ConfigCodes.Type, "hyperparameters.max_response_length");
        Assert.Equal("test.json:8:32: hyperparameters.max_response_length: expected integer >= 1, got \"abc\" [CFG003]\n  fix: write a whole number without quotes, e.g. \"max_response_length\": 512",
            type.Format("test.json"));
        var unknown = Error(result, ConfigCodes.UnknownKey, "hyperparameters.rounds");
        Assert.Equal("test.json:9:9: hyperparameters.rounds: not a key of text_multiagent_refine [CFG005]\n  fix: did you mean \"round\"? keys: round; general: max_response_length, temperature, top_p, batch_size, big_model_mode",
            unknown.Format("test.json"));
    }

    [Fact]
    public void An_unknown_method_lists_near_matches()
    {
        var result = Invalid(Base.Replace("text_multiagent_refine", "text_multiagent_refin").Replace("HYPER", "").Replace("EXTRA", ""));
        var problem = Error(result, ConfigCodes.UnknownMethod, "method");
        Assert.Equal("unknown method \"text_multiagent_refin\"", problem.Message);
        Assert.Equal("did you mean \"text_multiagent_refine\"? `moco validate --list-methods` lists all 28", problem.Fix);
        Assert.Equal((1, 11), (problem.Line, problem.Column));
    }

    [Theory]
    [InlineData("sample_approach")]
    [InlineData("distributed_generation")]
    public void Reference_helpers_are_not_methods(string name)
    {
        var result = Invalid(Base.Replace("text_multiagent_refine", name).Replace("HYPER", "").Replace("EXTRA", ""));
        Assert.Contains("not a method", Error(result, ConfigCodes.UnknownMethod, "method").Message);
    }

    [Fact]
    public void An_unknown_task_lists_near_matches_from_the_evaluators_data_path()
    {
        var result = Invalid(Base.Replace("agieval_tiny", "agieval_tin").Replace("HYPER", "").Replace("EXTRA", ""));
        var problem = Error(result, ConfigCodes.UnknownTask, "task");
        Assert.Contains("no dataset \"agieval_tin\"", problem.Message);
        Assert.Contains("did you mean \"agieval_tiny\"", problem.Fix);
    }

    [Fact]
    public void A_task_type_the_dataset_does_not_fit_is_CFG008()
    {
        var result = Invalid(Base.Replace("agieval_tiny", "gsm8k").Replace("HYPER", "").Replace("EXTRA", ""));
        Assert.Contains("question", Error(result, ConfigCodes.TaskTypeUnfit, "task_type").Message);
    }

    [Fact]
    public void A_task_type_the_method_cannot_score_is_CFG008()
    {
        var text = """{"method":"text_majority_vote","task":"alpacaeval","task_type":"reward_model","gpu_ids":[],"model_names":["a","b"],"hyperparameters":{}}""";
        Error(Invalid(text), ConfigCodes.TaskTypeUnfit, "task_type");
    }

    [Fact]
    public void Missing_top_level_keys_are_CFG002_without_a_position()
    {
        var result = Invalid("""{"task_type":"multiple_choice"}""");
        foreach (var key in new[] { "method", "task", "gpu_ids", "model_names", "hyperparameters" })
        {
            var problem = result.Errors.Single(p => p.Code == ConfigCodes.Missing && p.Message.Contains($"\"{key}\"", StringComparison.Ordinal));
            Assert.Equal(0, problem.Line);
        }
    }

    [Theory]
    [InlineData("\"model_names\":[]", "model_names", ConfigCodes.Range)]
    [InlineData("\"model_names\":\"a\"", "model_names", ConfigCodes.Type)]
    [InlineData("\"model_names\":[\"a\", 3]", "model_names[1]", ConfigCodes.Type)]
    [InlineData("\"model_names\":[\"a\", \" \"]", "model_names[1]", ConfigCodes.Range)]
    [InlineData("\"gpu_ids\":[0, \"1\"]", "gpu_ids[1]", ConfigCodes.Type)]
    [InlineData("\"gpu_ids\":0", "gpu_ids", ConfigCodes.Type)]
    [InlineData("\"task\":3", "task", ConfigCodes.Type)]
    [InlineData("\"task_type\":\"multiple_choise\"", "task_type", ConfigCodes.Range)]
    [InlineData("\"method\":1", "method", ConfigCodes.Type)]
    [InlineData("\"hyperparameters\":[]", "hyperparameters", ConfigCodes.Type)]
    [InlineData("\"compat\":\"python\"", "compat", ConfigCodes.Range)]
    [InlineData("\"seed\":-1", "seed", ConfigCodes.Range)]
    [InlineData("\"seed\":\"1\"", "seed", ConfigCodes.Type)]
    [InlineData("\"device\":\"gpu0\"", "device", ConfigCodes.Range)]
    [InlineData("\"evaluation\":[]", "evaluation", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"limit\":0}", "evaluation.limit", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"limit_seed\":\"x\"}", "evaluation.limit_seed", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"data_dirs\":\"x\"}", "evaluation.data_dirs", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"group_by\":1}", "evaluation.group_by", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"limits\":3}", "evaluation.limits", ConfigCodes.UnknownKey)]
    [InlineData("\"evaluation\":{\"verifier\":{\"model\":3}}", "evaluation.verifier.model", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"verifier\":\"x\"}", "evaluation.verifier", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"reward_model\":{\"kind\":\"head\"}}", "evaluation.reward_model.kind", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"diversity\":{\"encoders\":\"x\"}}", "evaluation.diversity.encoders", ConfigCodes.UnknownKey)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"python\":1}}", "evaluation.sandbox.python", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"max_parallel\":0}}", "evaluation.sandbox.max_parallel", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"allow_weak_isolation\":2}}", "evaluation.sandbox.allow_weak_isolation", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"timeout_s\":0}}", "evaluation.sandbox.timeout_s", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"cpu_s\":-1}}", "evaluation.sandbox.cpu_s", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"memory_mb\":1.5}}", "evaluation.sandbox.memory_mb", ConfigCodes.Type)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"file_mb\":0}}", "evaluation.sandbox.file_mb", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"max_files\":0}}", "evaluation.sandbox.max_files", ConfigCodes.Range)]
    [InlineData("\"evaluation\":{\"sandbox\":{\"max_procs\":\"4\"}}", "evaluation.sandbox.max_procs", ConfigCodes.Type)]
    [InlineData("\"method_name\":\"x\"", "method_name", ConfigCodes.UnknownKey)]
    public void Each_top_level_and_evaluation_key_is_checked(string replacement, string path, string code)
    {
        var key = replacement[..(replacement.IndexOf(':', StringComparison.Ordinal))];
        var text = Base.Replace("HYPER", "");
        var existing = System.Text.RegularExpressions.Regex.Match(text, System.Text.RegularExpressions.Regex.Escape(key) + @":(\[[^\]]*\]|""[^""]*""|\{\})");
        text = existing.Success ? text.Replace(existing.Value, replacement).Replace("EXTRA", "") : text.Replace("EXTRA", "," + replacement);
        Error(Invalid(text), code, path);
    }

    [Theory]
    [InlineData("\"max_response_length\": 0", "hyperparameters.max_response_length", ConfigCodes.Range)]
    [InlineData("\"max_response_length\": 1.5", "hyperparameters.max_response_length", ConfigCodes.Type)]
    [InlineData("\"temperature\": -0.1", "hyperparameters.temperature", ConfigCodes.Range)]
    [InlineData("\"temperature\": \"0.7\"", "hyperparameters.temperature", ConfigCodes.Type)]
    [InlineData("\"top_p\": 0", "hyperparameters.top_p", ConfigCodes.Range)]
    [InlineData("\"top_p\": 1.5", "hyperparameters.top_p", ConfigCodes.Range)]
    [InlineData("\"batch_size\": 0", "hyperparameters.batch_size", ConfigCodes.Range)]
    [InlineData("\"big_model_mode\": 2", "hyperparameters.big_model_mode", ConfigCodes.Type)]
    [InlineData("\"big_model_mode\": \"true\"", "hyperparameters.big_model_mode", ConfigCodes.Type)]
    [InlineData("\"round\": 0", "hyperparameters.round", ConfigCodes.Range)]
    [InlineData("\"round\": null", "hyperparameters.round", ConfigCodes.Type)]
    public void General_and_method_keys_are_typed_and_ranged(string hyper, string path, string code) =>
        Error(Invalid(With(hyper)), code, path);

    [Fact]
    public void Unknown_keys_are_errors_unless_allowed_then_warnings()
    {
        Error(Invalid(With("\"roundz\": 1")), ConfigCodes.UnknownKey, "hyperparameters.roundz");
        var allowed = TestData.Validate(With("\"roundz\": 1"), allowUnknownKeys: true);
        Assert.True(allowed.Valid);
        Assert.Contains(allowed.Warnings, w => w.Code == ConfigCodes.UnknownKey && w.Path == "hyperparameters.roundz");
    }

    [Fact]
    public void Sibling_names_are_suggested()
    {
        var text = """{"method":"text_structure","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{"structure_type":"star","round":2}}""";
        Assert.Contains("\"num_rounds\"", Error(Invalid(text), ConfigCodes.UnknownKey, "hyperparameters.round").Fix);
    }

    [Fact]
    public void A_misspelt_enum_is_CFG004_listing_the_values()
    {
        var text = """{"method":"api_graph_routing","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{"model_descriptions":["x","y"],"scenario":"Balanced"}}""";
        var problem = Error(Invalid(text), ConfigCodes.Range, "hyperparameters.scenario");
        Assert.Contains("\"Performance First\", \"Balance\", \"Cost First\"", problem.Message);
        Assert.StartsWith("did you mean \"Balance\"?", problem.Fix);
    }

    [Fact]
    public void A_missing_required_key_is_CFG002_in_the_spec_shape()
    {
        var text = """{"method":"text_structure","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{}}""";
        var problem = Error(Invalid(text), ConfigCodes.Missing, "hyperparameters");
        Assert.Equal("structure.json: hyperparameters: missing required key \"structure_type\" for text_structure [CFG002]\n  fix: add \"structure_type\": one of \"chain\", \"tree\", \"star\", \"circle\", \"complete\", \"other\"",
            problem.Format("structure.json"));
    }

    [Fact]
    public void Weight_dare_ties_without_a_base_model_fails_up_front()
    {
        var text = """{"method":"weight_dare_ties","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{}}""";
        Assert.Contains("base_model_name", Error(Invalid(text), ConfigCodes.Missing, "hyperparameters").Message);
    }

    [Fact]
    public void Logit_fusion_optimized_is_not_implemented()
    {
        var text = """{"method":"logit_logit_fusion","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{"mode":"optimized"}}""";
        Assert.Contains("not implemented", Error(Invalid(text), ConfigCodes.Range, "hyperparameters.mode").Message);
    }

    [Theory]
    [InlineData("logit_logit_contrastive", "[\"a\",\"b\",\"c\"]", "\"k\": 2", "hyperparameters.k")]
    [InlineData("api_nudging", "[\"a\",\"b\"]", "\"nudging_model_id\": 0", "hyperparameters.nudging_model_id")]
    [InlineData("api_nudging", "[\"a\",\"b\"]", "\"base_model_id\": 2", "hyperparameters.base_model_id")]
    [InlineData("text_structure", "[\"a\",\"b\"]", "\"structure_type\": \"other\", \"structure_matrix\": [[0,1]]", "hyperparameters.structure_matrix")]
    [InlineData("api_prompt_routing", "[\"a\",\"b\"]", "\"model_descriptions\": [\"x\"]", "hyperparameters.model_descriptions")]
    [InlineData("logit_logit_fusion", "[\"a\",\"b\"]", "\"weights\": [0, 0]", "hyperparameters.weights")]
    [InlineData("weight_expo", "[\"a\",\"b\",\"c\"]", "\"mode\": \"pairs\"", "model_names")]
    [InlineData("api_switch_generation", "[\"a\",\"b\"]", "\"max_response_length\": 64", "hyperparameters.max_response_length")]
    [InlineData("api_mentor_collab", "[\"a\",\"b\"]", "\"mode\": \"train\", \"max_response_length\": 64", "model_names")]
    [InlineData("api_collm", "[\"a\",\"b\",\"c\"]", "", "model_names")]
    [InlineData("single_model", "[\"a\",\"b\"]", "", "model_names")]
    [InlineData("weight_model_swarms", "[\"a\"]", "", "model_names")]
    [InlineData("text_sparta", "[\"a\",\"b\",\"a\"]", "", "model_names")]
    [InlineData("text_sparta", "[\"a\",\"b\",\"c\"]", "\"base_dir\": \"../elsewhere\"", "hyperparameters.base_dir")]
    [InlineData("text_agglm", "[\"a\",\"b\"]", "\"agglm_log_path\": \"/abs/agglm\"", "hyperparameters.agglm_log_path")]
    [InlineData("text_agglm", "[\"a\",\"b\"]", "\"lr_scheduler\": \"polynomial\"", "hyperparameters.lr_scheduler")]
    [InlineData("text_slm_mux", "[\"a\",\"b\",\"a\"]", "", "model_names")]
    public void Cross_key_rules_are_CFG010(string method, string models, string hyper, string path)
    {
        var text = $$$"""{"method":"{{{method}}}","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":{{{models}}},"hyperparameters":{{{{hyper}}}}}""";
        Error(Invalid(text), ConfigCodes.CrossKey, path);
    }

    [Fact]
    public void Structure_other_without_a_matrix_is_missing_a_key()
    {
        var text = """{"method":"text_structure","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0],"model_names":["a","b"],"hyperparameters":{"structure_type":"other"}}""";
        Error(Invalid(text), ConfigCodes.Missing, "hyperparameters.structure_matrix");
    }

    [Fact]
    public void Documented_aliases_and_ignored_general_keys_warn()
    {
        var text = """{"method":"api_collm","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[0,1],"model_names":["g","m"],"hyperparameters":{"max_seq_length":1024,"temperature":0.7}}""";
        var result = TestData.Validate(text);
        Assert.True(result.Valid);
        Assert.Contains(result.Warnings, w => w.Code == ConfigCodes.Alias && w.Path == "hyperparameters.max_seq_length");
        Assert.Contains(result.Warnings, w => w.Code == ConfigCodes.IgnoredKey && w.Path == "hyperparameters.temperature");
        Assert.Equal(1024, result.Config!.Hyperparameters.Int("max_sequence_length"));
    }

    [Fact]
    public void Syntax_only_skips_everything_but_syntax()
    {
        var result = new ConfigValidator(Orchestrator.Methods.MethodRegistry.Default).Validate("{\"method\": \"nope\"}", "x.json", new ValidationOptions(SyntaxOnly: true));
        Assert.True(result.Valid);
        Assert.Null(result.Config);
    }

    [Fact]
    public void The_grpc_error_carries_every_problem()
    {
        var result = Invalid(With("\"round\": 0, \"rounds\": 1"));
        var error = ConfigErrors.ToRpcException(result);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        var infos = MoCo.Hosting.Errors.MocoErrors.ErrorInfos(error);
        Assert.Equal([ConfigCodes.Range, ConfigCodes.UnknownKey], infos.Select(i => i.Reason).ToArray());
        Assert.Equal("1", infos[0].Metadata["line"]);
    }
}
