using MoCo.Cli.Commands;

namespace MoCo.Cli.Tests;

/// <summary>config-and-cli.md §4.2: `--json` and `-q` win, then `--progress`, then MOCO_PROGRESS, then auto; auto is
/// live bars only on an interactive terminal without NO_COLOR.</summary>
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
}
