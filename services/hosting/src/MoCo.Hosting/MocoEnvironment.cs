namespace MoCo.Hosting;

/// <summary>
/// The folders and defaults of config-and-cli.md §6, read from the environment. Search paths concatenate
/// (flag, then environment, then defaults; first match wins; bundled folders last); single values take the
/// first that is set. Constructed from a variable lookup so tests need not touch the process environment.
/// </summary>
public sealed class MocoEnvironment
{
    private readonly Func<string, string?> _variable;

    /// <summary>Reads the process environment.</summary>
    public MocoEnvironment() : this(Environment.GetEnvironmentVariable, AppContext.BaseDirectory)
    {
    }

    /// <summary>Reads variables through <paramref name="variable"/>; <paramref name="baseDirectory"/> is where the binaries are.</summary>
    public MocoEnvironment(Func<string, string?> variable, string baseDirectory)
    {
        _variable = variable;
        InstallDirectory = FindInstallDirectory(baseDirectory);
        Home = Get("MOCO_HOME") ?? Path.Combine(
            Get("XDG_DATA_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"),
            "moco");
    }

    /// <summary>The moco executable's folder, or the repository root when running from a source checkout.</summary>
    public string InstallDirectory { get; }

    /// <summary>Per-user state: MOCO_HOME, else $XDG_DATA_HOME/moco, else ~/.local/share/moco.</summary>
    public string Home { get; }

    /// <summary>Dataset search path: MOCO_DATA_DIR entries, then $MOCO_HOME/data, then the bundled &lt;install&gt;/data.</summary>
    public IReadOnlyList<string> DataDirectories =>
        [.. SplitPath(Get("MOCO_DATA_DIR")), Path.Combine(Home, "data"), Path.Combine(InstallDirectory, "data")];

    /// <summary>Model search path: MOCO_MODELS_DIR entries, then $MOCO_HOME/models, then the bundled zoo &lt;install&gt;/models.</summary>
    public IReadOnlyList<string> ModelDirectories =>
        [.. SplitPath(Get("MOCO_MODELS_DIR")), Path.Combine(Home, "models"), Path.Combine(InstallDirectory, "models")];

    /// <summary>Run store: MOCO_RUN_STORE (SQLite path or PostgreSQL connection string), else $MOCO_HOME/runs.db.</summary>
    public string RunStore => Get("MOCO_RUN_STORE") ?? Path.Combine(Home, "runs.db");

    /// <summary>Default device: MOCO_DEVICE, else "auto".</summary>
    public string Device => Get("MOCO_DEVICE") ?? "auto";

    /// <summary>Gateway URL of a remote deployment (MOCO_SERVER); null = embedded.</summary>
    public string? Server => Get("MOCO_SERVER");

    /// <summary>Bearer token for the server (MOCO_SERVER_TOKEN), for a gateway that checks tokens; null = none.</summary>
    public string? ServerToken => Get("MOCO_SERVER_TOKEN");

    /// <summary>PEM file of authorities trusted for the server's TLS certificate besides the system's (MOCO_SERVER_CA).</summary>
    public string? ServerCa => Get("MOCO_SERVER_CA");

    /// <summary>The channels the CLI opens to the server, trusting <see cref="ServerCa"/> and sending
    /// <see cref="ServerToken"/>; a bad CA file is a <see cref="MocoConfigurationException"/> naming MOCO_SERVER_CA.</summary>
    public Outbound.OutboundChannels ServerChannels() => Outbound.OutboundChannels.Load(ServerCa, ServerToken, "MOCO_SERVER_CA", "MOCO_SERVER_TOKEN");

    /// <summary>Default log folder of runs (`-l`): MOCO_LOG_DIR, else ./logs, as a full path.</summary>
    public string LogDirectory => Path.GetFullPath(Get("MOCO_LOG_DIR") ?? "logs");

    /// <summary>Artifacts (adapters, merged models): MOCO_ARTIFACTS_DIR, else $MOCO_HOME/artifacts.</summary>
    public string ArtifactsDirectory => Get("MOCO_ARTIFACTS_DIR") ?? Path.Combine(Home, "artifacts");

    /// <summary>Splits a search-path variable: ':' separated (';' on Windows), empty entries dropped.</summary>
    public static IEnumerable<string> SplitPath(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private string? Get(string name) => _variable(name) is { Length: > 0 } value ? value : null;

    private static string FindInstallDirectory(string baseDirectory)
    {
        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MoCo.sln")))
            {
                return dir.FullName;
            }
        }
        return Path.GetFullPath(baseDirectory);
    }
}
