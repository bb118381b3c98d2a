using System.Text.Json;
using static MoCo.Cli.Tests.CliRunner;

namespace MoCo.Cli.Tests;

/// <summary>`moco validate` (config-and-cli.md §1.5, §4.1): every problem listed, --json, exit codes, --list-methods.</summary>
public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Models
    {
        get
        {
            // Layout rule of config-and-cli.md §2.2: <models>/<org>/<name> with a config.json is a model.
            foreach (var name in new[] { "org/a", "org/b" })
            {
                Directory.CreateDirectory(Path.Combine(_dir, "models", name));
                File.WriteAllText(Path.Combine(_dir, "models", name, "config.json"), "{}");
            }
            return Path.Combine(_dir, "models");
        }
    }

    private string Config(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Data { get; } = FindData();

    // As TasksCommandTests: MOCO_DATA_DIR, else ../shared/datasets/moco beside the repository root.
    private static string FindData()
    {
        if (Environment.GetEnvironmentVariable("MOCO_DATA_DIR") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment.Split(Path.PathSeparator)[0];
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MoCo.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "datasets", "moco"));
            }
        }
        throw new InvalidOperationException("set MOCO_DATA_DIR to the MoCo datasets folder");
    }

    [Fact]
    public async Task A_valid_config_exits_0()
    {
        var file = Config("refine.json", """
            {"method": "text_multiagent_refine", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [0],
             "model_names": ["org/a", "org/b"], "hyperparameters": {"round": 1}}
            """);
        var (code, output, error) = await Run("validate", file, "--data-dir", Data, "--models-dir", Models);
        Assert.True(code == 0, output + error);
        Assert.Contains($"{file}: valid", output);
    }

    [Fact]
    public async Task An_invalid_config_lists_every_problem_and_exits_2()
    {
        var file = Config("refine.json", """
            {
                "method": "text_multiagent_refine",
                "task": "agieval_tin",
                "task_type": "multiple_choice",
                "gpu_ids": [0],
                "model_names": ["org/a", "org/missing"],
                "hyperparameters": {
                    "max_response_length": "abc",
                    "rounds": 3
                }
            }
            """);
        var (code, output, _) = await Run("validate", file, "--data-dir", Data, "--models-dir", Models);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"{file}:8:32: hyperparameters.max_response_length: expected integer >= 1, got \"abc\" [CFG003]\n  fix: write a whole number", output);
        Assert.Contains($"{file}:9:9: hyperparameters.rounds: not a key of text_multiagent_refine [CFG005]\n  fix: did you mean \"round\"?", output);
        Assert.Contains($"{file}:3:13: task: no dataset \"agieval_tin\"", output);
        Assert.Contains("did you mean \"agieval_tiny\"?", output);
        Assert.Contains($"{file}:6:30: model_names[1]: \"org/missing\" not found in", output);
        Assert.Contains("[CFG009]\n  fix: moco models pull-from-dir <dir> --name \"org/missing\"", output);
        Assert.Contains("invalid, 4 errors", output);
    }

    [Fact]
    public async Task Json_output_has_the_spec_shape()
    {
        var file = Config("bad.json", """{"method":"text_multiagent_refin","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[],"model_names":["org/a"],"hyperparameters":{}}""");
        var (code, output, _) = await Run("validate", file, "--json", "--data-dir", Data, "--models-dir", Models);
        Assert.Equal(ExitCodes.Usage, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(["file", "valid", "errors", "warnings"], root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.False(root.GetProperty("valid").GetBoolean());
        var error = root.GetProperty("errors")[0];
        Assert.Equal(["code", "path", "line", "column", "message", "fix"], error.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(("CFG006", "method", 1, 11), (error.GetProperty("code").GetString(), error.GetProperty("path").GetString(),
            error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));
    }

    [Fact]
    public async Task Unknown_keys_can_be_allowed_as_warnings()
    {
        var file = Config("w.json", """{"method":"single_model","task":"agieval_tiny","task_type":"multiple_choice","gpu_ids":[],"model_names":["org/a"],"hyperparameters":{"tempreature":0.5}}""");
        Assert.Equal(ExitCodes.Usage, (await Run("validate", file, "--data-dir", Data, "--models-dir", Models)).Code);
        var (code, output, _) = await Run("validate", file, "--allow-unknown-keys", "--data-dir", Data, "--models-dir", Models);
        Assert.Equal(0, code);
        Assert.Contains("warning: ", output);
        Assert.Contains("valid (1 warning)", output);
    }

    [Fact]
    public async Task Syntax_only_checks_json_alone()
    {
        var good = Config("s.json", "{\"method\": \"whatever\", // comment\n}");
        Assert.Equal(0, (await Run("validate", good, "--syntax-only")).Code);
        var bad = Config("b.json", "{\"method\": }");
        var (code, output, _) = await Run("validate", bad, "--syntax-only");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"{bad}:1:12: invalid JSON", output);
    }

    [Fact]
    public async Task List_methods_names_all_28()
    {
        var (code, output, _) = await Run("validate", "--list-methods", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(28, doc.RootElement.GetArrayLength());
        var refine = doc.RootElement.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "text_multiagent_refine");
        Assert.Equal("text", refine.GetProperty("level").GetString());
        Assert.True(refine.GetProperty("implemented").GetBoolean());
        var collm = doc.RootElement.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "api_collm");
        Assert.True(collm.GetProperty("implemented").GetBoolean());
        var (_, text, _) = await Run("validate", "--list-methods");
        Assert.Contains("28 methods", text);
    }

    [Fact]
    public async Task No_config_is_a_usage_error()
    {
        var (code, _, error) = await Run("validate");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("name at least one config", error);
    }
}
