namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>Where the weight methods' saved models go: the reference's relative paths inside the run's artifact folder
/// (config-and-cli.md §3.3).</summary>
internal static class WeightArtifacts
{
    /// <summary>The per-task folder a `*_base_path` key names: the reference strips the trailing '/' and appends
    /// `_<task>` (`model_collaboration/logs/dare_ties/` → `model_collaboration/logs/dare_ties_agieval`). The run folder
    /// is new for every run, so the reference's random suffix for a taken folder is never needed.</summary>
    /// <exception cref="ArgumentException">The key holds an absolute path or climbs out with `..`.</exception>
    public static string TaskFolder(MethodContext context, string key)
    {
        var written = context.Config.Hyperparameters.String(key) ?? "";
        var relative = written.Replace('\\', '/').TrimEnd('/');
        if (relative.Length == 0 || Path.IsPathRooted(written) || relative.Split('/').Any(s => s is ".." or "."))
        {
            throw new ArgumentException($"hyperparameters.{key} = '{written}': MoCo.NET keeps method files in the run's artifact folder "
                + "(config-and-cli.md §3.3), so this must be a relative path without '.' or '..' parts; write e.g. the default "
                + "'model_collaboration/logs/…/'", key);
        }
        return $"{relative}_{context.Config.Task}";
    }
}
