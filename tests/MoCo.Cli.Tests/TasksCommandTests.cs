using System.Text.Json;
using static MoCo.Cli.Tests.CliRunner;

namespace MoCo.Cli.Tests;

/// <summary>`moco tasks list|show` over the shared MoCo datasets (MOCO_DATA_DIR, else ../shared/datasets/moco beside
/// the repository root).</summary>
public sealed class TasksCommandTests
{
    private static readonly string DataDir = FindData();

    [Fact]
    public async Task List_json_shows_types_sizes_and_folder()
    {
        var (code, output, error) = await Run("tasks", "list", "--json", "--data-dir", DataDir);
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var gsm8k = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("task").GetString() == "gsm8k");
        Assert.Equal("exact_match", gsm8k.GetProperty("declared_type").GetString());
        Assert.Equal((200, 1000), (gsm8k.GetProperty("dev").GetInt32(), gsm8k.GetProperty("test").GetInt32()));
        Assert.Equal(Path.GetFullPath(DataDir), gsm8k.GetProperty("folder").GetString());
        Assert.Contains("general_verifier", gsm8k.GetProperty("compatible_types").EnumerateArray().Select(t => t.GetString()));
        Assert.True(doc.RootElement.GetArrayLength() >= 32);
    }

    [Fact]
    public async Task List_prints_a_table()
    {
        var (code, output, _) = await Run("tasks", "list", "--data-dir", DataDir);
        Assert.Equal(0, code);
        Assert.Contains("humaneval", output);
        Assert.Contains("datasets", output);
    }

    [Fact]
    public async Task Show_prints_formatted_prompts()
    {
        var (code, output, error) = await Run("tasks", "show", "gsm8k", "--split", "dev", "-n", "2", "--data-dir", DataDir);
        Assert.True(code == 0, error);
        Assert.Contains("gsm8k dev · exact_match · 200 items", output);
        Assert.Contains("── [0] id", output);
        Assert.Contains("── [1] id", output);
        Assert.DoesNotContain("── [2] id", output);
        Assert.Contains(@"\box{ANSWER}", output);

        var (mcCode, mc, _) = await Run("tasks", "show", "agieval_tiny", "-n", "1", "--data-dir", DataDir);
        Assert.Equal(0, mcCode);
        Assert.Contains("\nA) ", mc);
    }

    [Fact]
    public async Task An_unknown_task_is_exit_2_with_a_suggestion()
    {
        var (code, _, error) = await Run("tasks", "show", "gsm8kk", "--data-dir", DataDir);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("did you mean \"gsm8k\"", error);
    }

    [Fact]
    public async Task A_dataset_unfit_for_the_task_type_is_exit_2_listing_the_problems()
    {
        var (code, _, error) = await Run("tasks", "show", "gsm8k", "--task-type", "multiple_choice", "--data-dir", DataDir);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("gsm8k.json: test[0].question: missing", error);
        Assert.Contains("… and", error);
    }

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
}
