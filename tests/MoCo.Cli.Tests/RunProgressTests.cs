using MoCo.Cli.Commands;
using MoCo.Contracts.V1;

namespace MoCo.Cli.Tests;

/// <summary>config-and-cli.md §4.2: `--json` and `-q` win, then `--progress`, then MOCO_PROGRESS, then auto; auto is
/// live bars only on an interactive terminal without NO_COLOR. A run starts with a line naming where its models run.</summary>
public sealed class RunProgressTests
{
    private static Func<string, string?> Env(string? progress = null, string? noColor = null) =>
        name => name switch { "MOCO_PROGRESS" => progress, "NO_COLOR" => noColor, _ => null };

    [Fact]
    public void Flags_win_over_the_variable_and_the_variable_over_auto()
    {
        Assert.Equal(("json", (string?)null), RunProgress.Resolve(new RunSettings { Json = true, Progress = "plain" }, Env("rich")));
        Assert.Equal(("none", (string?)null), RunProgress.Resolve(new RunSettings { Quiet = true, Progress = "rich" }, Env()));
        Assert.Equal(("plain", (string?)null), RunProgress.Resolve(new RunSettings { Progress = "plain" }, Env("rich")));
        Assert.Equal(("rich", (string?)null), RunProgress.Resolve(new RunSettings(), Env("rich")));
        Assert.Equal(("auto", (string?)null), RunProgress.Resolve(new RunSettings(), Env()));
        var (mode, problem) = RunProgress.Resolve(new RunSettings(), Env("fancy"));
        Assert.Null(mode);
        Assert.Contains("MOCO_PROGRESS is \"fancy\"", problem);
    }

    [Fact]
    public void Auto_is_bars_only_on_an_interactive_terminal_without_no_color()
    {
        Assert.True(RunProgress.Rich("auto", interactive: true, Env()));
        Assert.False(RunProgress.Rich("auto", interactive: true, Env(noColor: "1")));
        Assert.False(RunProgress.Rich("auto", interactive: false, Env()));
        Assert.True(RunProgress.Rich("rich", interactive: false, Env()));
        Assert.False(RunProgress.Rich("plain", interactive: true, Env()));
        Assert.False(RunProgress.Rich("none", interactive: true, Env()));
    }

    [Fact]
    public void The_first_line_names_each_device_with_its_models_when_there_are_several()
    {
        static RunEvent Started(params (string Name, string Device)[] map)
        {
            var started = new RunStarted { Config = new RunConfigSummary { Method = "text_llm_blender", Task = "zoo_world", TaskType = "multiple_choice" }, Seed = 7 };
            started.Config.ModelNames.AddRange(map.Select(m => m.Name).Take(2));
            started.DeviceMap.AddRange(map.Select((m, i) => new DeviceAssignment { Name = m.Name, Device = m.Device, Index = i }));
            return new RunEvent { RunId = "r1", RunStarted = started };
        }

        Assert.Equal("run r1: text_llm_blender on zoo_world (multiple_choice), 2 model(s), seed 7, on cuda:0 (m-a, m-r), cuda:1 (m-b)",
            RunConsole.StartedLine(Started(("m-a", "cuda:0"), ("m-b", "cuda:1"), ("m-r", "cuda:0"))));
        Assert.EndsWith("seed 7, on cpu", RunConsole.StartedLine(Started(("m-a", "cpu"), ("m-b", "cpu"))));
        // A server places the models itself: its device map names none.
        Assert.EndsWith("seed 7", RunConsole.StartedLine(Started(("m-a", ""), ("m-b", ""))));
    }
}
