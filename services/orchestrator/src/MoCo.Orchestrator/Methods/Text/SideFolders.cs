namespace MoCo.Orchestrator.Methods.Text;

/// <summary>The side-file folder a path key names (SPARTA's `base_dir`, AggLM's `agglm_log_path`), kept inside the
/// run's artifact folder (config-and-cli.md §3.3).</summary>
public static class SideFolders
{
    /// <summary>The folder <paramref name="value"/> names, relative to the run's artifact folder.</summary>
    /// <exception cref="ArgumentException">An absolute path, an empty one, or one with `.`/`..` parts.</exception>
    public static string Relative(string key, string? value)
    {
        var written = value ?? "";
        var relative = written.Replace('\\', '/').TrimEnd('/');
        if (relative.Length == 0 || Path.IsPathRooted(written) || relative.Split('/').Any(s => s is ".." or "."))
        {
            throw new ArgumentException($"hyperparameters.{key} = '{written}': MoCo.NET keeps method files in the run's artifact folder "
                + "(config-and-cli.md §3.3), so this must be a relative path without '.' or '..' parts; write e.g. the default "
                + "'model_collaboration/logs/…'", key);
        }
        return relative;
    }
}
