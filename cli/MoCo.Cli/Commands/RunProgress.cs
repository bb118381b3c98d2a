namespace MoCo.Cli.Commands;

/// <summary>How `moco run` shows progress (config-and-cli.md §4.2): `--progress`, else MOCO_PROGRESS, else auto; `--json`
/// and `--json-items` are json, `-q` none.</summary>
internal static class RunProgress
{
    /// <summary>The values `--progress` and MOCO_PROGRESS take.</summary>
    public static readonly string[] Modes = ["auto", "rich", "plain", "json", "none"];

    /// <summary>The mode of <paramref name="settings"/>, or the problem with MOCO_PROGRESS (a usage error).</summary>
    public static (string? Mode, string? Problem) Resolve(RunSettings settings, Func<string, string?> environment)
    {
        if (settings.Json || settings.JsonItems)
        {
            return ("json", null);
        }
        if (settings.Quiet)
        {
            return ("none", null);
        }
        if (settings.Progress is { } flag)
        {
            return (flag, null);
        }
        var variable = environment("MOCO_PROGRESS");
        if (string.IsNullOrEmpty(variable))
        {
            return ("auto", null);
        }
        return Modes.Contains(variable)
            ? (variable, null)
            : (null, $"MOCO_PROGRESS is \"{variable}\"; use one of {string.Join(", ", Modes)}, or unset it");
    }

    /// <summary>Live bars: asked for, or auto on an interactive terminal without NO_COLOR (plain lines otherwise).</summary>
    public static bool Rich(string mode, bool interactive, Func<string, string?> environment) =>
        mode == "rich" || (mode == "auto" && interactive && string.IsNullOrEmpty(environment("NO_COLOR")));
}
