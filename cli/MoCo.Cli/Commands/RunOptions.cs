using System.CommandLine;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Native;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;

namespace MoCo.Cli.Commands;

/// <summary>What `moco run` was asked for beyond the config and the log folder.</summary>
internal sealed record RunSettings
{
    public string? Server { get; init; }
    public string? Resume { get; init; }
    /// <summary>`moco runs watch RUN`: re-attach to a server's run (WatchRun) instead of starting one.</summary>
    public string? Watch { get; init; }
    public bool Detach { get; init; }
    public bool Force { get; init; }
    public bool Json { get; init; }
    /// <summary>`--progress`: auto, rich, plain, json or none; null = MOCO_PROGRESS, else auto.</summary>
    public string? Progress { get; init; }
    /// <summary>`-q`: errors and the final score line only.</summary>
    public bool Quiet { get; init; }
    /// <summary>`--no-table`: no results table.</summary>
    public bool NoTable { get; init; }
    public string? Compat { get; init; }
    public int? Limit { get; init; }
    public ulong? LimitSeed { get; init; }
    public ulong? Seed { get; init; }
    public string? Device { get; init; }
    public string? Store { get; init; }
    public IReadOnlyList<string> DataDirs { get; init; } = [];
    public IReadOnlyList<string> ModelsDirs { get; init; } = [];
    public bool NoBaselines { get; init; }
    public bool AllowUnknownKeys { get; init; }
    public bool OverwriteLogs { get; init; }
    public bool StrictReferenceLogs { get; init; }
    /// <summary>`--no-cache`: compute every call this run has not stored, never take other runs' results (config-and-cli.md §5.2).</summary>
    public bool NoCache { get; init; }
    /// <summary>`--json-items`: item_finished events among the JSON lines (implies `--json`).</summary>
    public bool JsonItems { get; init; }
    /// <summary>`--embedded`: host the services in-process even when MOCO_SERVER is set.</summary>
    public bool Embedded { get; init; }
    /// <summary>`--dry-run`: validate, resolve and print the plan; run nothing.</summary>
    public bool DryRun { get; init; }
    /// <summary>`--report`: write the run's HTML report (`moco report`) when it ends.</summary>
    public bool Report { get; init; }

    /// <summary>What an embedded run (and `--dry-run`) resolves against on this machine: `--data-dir` then the
    /// environment's data path, `--models-dir` then its models path (config-and-cli.md §6).</summary>
    public RunEnvironment LocalEnvironment(MocoEnvironment environment) =>
        new([.. DataDirs.Select(Path.GetFullPath), .. environment.DataDirectories], LocalModels.Resolver(ModelsDirs, environment))
        {
            Devices = new DeviceEnvironment(Device ?? environment.Device, CudaDevices()),
        };

    // The GPUs libmoco sees; none when it cannot load (the run then fails on its own with the reason).
    private static int CudaDevices()
    {
        try
        {
            return MocoEngine.Devices.Count(d => d.Kind == MoCo.Native.DeviceKind.Cuda);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or MocoException)
        {
            return 0;
        }
    }

    /// <summary>The overrides StartRun carries (flag &gt; environment &gt; config, config-and-cli.md §6).</summary>
    public RunOverrides Overrides()
    {
        var overrides = new RunOverrides
        {
            Compat = Compat switch { "reference" => Contracts.V1.Compat.Reference, "moco" => Contracts.V1.Compat.Moco, _ => Contracts.V1.Compat.Unspecified },
            Seed = Seed,
            Limit = Limit,
            LimitSeed = LimitSeed,
            Device = Device,
            AllowUnknownKeys = AllowUnknownKeys,
            NoBaselines = NoBaselines,
            NoCache = NoCache,
            Force = Force,
        };
        overrides.DataDirs.AddRange(DataDirs.Select(Path.GetFullPath));
        return overrides;
    }
}

/// <summary>The options of `moco run` (config-and-cli.md §4.1) and how they read into <see cref="RunSettings"/>.</summary>
internal sealed class RunOptions
{
    private readonly Option<string?> _server = new("--server", "--gateway") { Description = "Run on a MoCo.NET server (gateway URL; default MOCO_SERVER); unset = embedded." };
    private readonly Option<string?> _resume = new("--resume") { Description = "Resume a run: id, unique prefix, 4-character suffix, or `last`." };
    private readonly Option<bool> _detach = new("--detach") { Description = "With a server: return once the run has started; `moco runs watch RUN --server URL` re-attaches." };
    private readonly Option<bool> _force = new("--force") { Description = "With --resume: resume even though the config changed." };
    private readonly Option<bool> _json = new("--json") { Description = "Events as JSON lines on stdout; no table." };
    private readonly Option<string?> _progress = new("--progress") { Description = "auto (bars on a terminal, else plain), rich, plain, json or none; default MOCO_PROGRESS, else auto." };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Errors and the final line (score → log) only." };
    private readonly Option<bool> _noTable = new("--no-table") { Description = "No results table after the run." };
    private readonly Option<string?> _compat = new("--compat") { Description = "Override the config's compat mode: moco or reference." };
    private readonly Option<int?> _limit = new("--limit") { Description = "First N items of every split read (the run is partial when a split is cut)." };
    private readonly Option<ulong?> _limitSeed = new("--limit-seed") { Description = "With --limit: a seeded random sample of N items instead of the first N." };
    private readonly Option<ulong?> _seed = new("--seed") { Description = "Run seed (default: the config's `seed`, else drawn and printed)." };
    private readonly Option<string?> _device = new("--device") { Description = "Where the models run: cpu, cuda:N (all on N), cuda:N,M or cuda (round-robin over those GPUs, an inference replica on each) or auto; default MOCO_DEVICE, else the config." };
    private readonly Option<string?> _store = new("--store") { Description = "Run store: SQLite path (default MOCO_RUN_STORE, else $MOCO_HOME/runs.db)." };
    private readonly Option<string[]> _dataDir = new("--data-dir") { Description = "Dataset folder searched first (repeatable)." };
    private readonly Option<string[]> _modelsDir = new("--models-dir") { Description = "Models folder searched first (repeatable)." };
    private readonly Option<bool> _noBaselines = new("--no-baselines") { Description = "Skip the single-model baselines of the results table." };
    private readonly Option<bool> _allowUnknown = new("--allow-unknown-keys") { Description = "Unknown config keys are warnings, not errors." };
    private readonly Option<bool> _overwrite = new("--overwrite-logs") { Description = "Replace an existing top-level log with other content." };
    private readonly Option<bool> _strict = new("--strict-reference-logs") { Description = "Write reference logs without the `moco` object." };
    private readonly Option<bool> _noCache = new("--no-cache") { Description = "Compute every call again instead of reusing other runs' results for the same call." };
    private readonly Option<bool> _jsonItems = new("--json-items") { Description = "Add an item_finished event per scored item to the JSON lines (implies --json)." };
    private readonly Option<bool> _embedded = new("--embedded") { Description = "Host the services in-process even when MOCO_SERVER is set." };
    private readonly Option<bool> _report = new("--report") { Description = "When the run ends, write its HTML report to <log dir>/moco/<run>/report.html (see `moco report`)." };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Validate and resolve the config, print the plan and device map, and run nothing." };

    public RunOptions()
    {
        _compat.AcceptOnlyFromAmong("moco", "reference");
        _progress.AcceptOnlyFromAmong(RunProgress.Modes);
        _limit.Validators.Add(r =>
        {
            // Read the token itself: an unparseable value is already a parse error of its own.
            if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit < 1)
            {
                r.AddError("--limit must be at least 1");
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _server, _resume, _detach, _force, _json, _progress, _quiet, _noTable, _compat, _limit, _limitSeed, _seed, _device, _store, _dataDir, _modelsDir,
            _noBaselines, _allowUnknown, _overwrite, _strict, _noCache, _jsonItems, _embedded, _dryRun, _report })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(r =>
        {
            if (r.GetValue(_force) && r.GetValue(_resume) is null)
            {
                r.AddError("--force only applies with --resume");
            }
            if (r.GetValue(_limitSeed) is not null && r.GetValue(_limit) is null)
            {
                r.AddError("--limit-seed needs --limit");
            }
            if (r.GetValue(_embedded) && r.GetValue(_server) is not null)
            {
                r.AddError("--embedded and --server exclude each other: drop one");
            }
            if (r.GetValue(_jsonItems) && (r.GetValue(_quiet) || r.GetValue(_progress) is { } mode && mode != "json"))
            {
                r.AddError("--json-items adds items to the JSON lines: drop -q / --progress, or use --progress json");
            }
            if (r.GetValue(_report) && r.GetValue(_detach))
            {
                r.AddError("--report needs the run's end: drop --detach, and run `moco report RUN` once it has finished");
            }
            if (r.GetValue(_dryRun) && (r.GetValue(_resume) is not null || r.GetValue(_detach)))
            {
                r.AddError("--dry-run plans a new run: drop --resume / --detach");
            }
        });
    }

    public RunSettings Read(ParseResult parse) => new()
    {
        Server = parse.GetValue(_server),
        Resume = parse.GetValue(_resume),
        Force = parse.GetValue(_force),
        Detach = parse.GetValue(_detach),
        Json = parse.GetValue(_json),
        Progress = parse.GetValue(_progress),
        Quiet = parse.GetValue(_quiet),
        NoTable = parse.GetValue(_noTable),
        Compat = parse.GetValue(_compat),
        Limit = parse.GetValue(_limit),
        LimitSeed = parse.GetValue(_limitSeed),
        Seed = parse.GetValue(_seed),
        Device = parse.GetValue(_device),
        Store = parse.GetValue(_store),
        DataDirs = parse.GetValue(_dataDir) ?? [],
        ModelsDirs = parse.GetValue(_modelsDir) ?? [],
        NoBaselines = parse.GetValue(_noBaselines),
        AllowUnknownKeys = parse.GetValue(_allowUnknown),
        OverwriteLogs = parse.GetValue(_overwrite),
        StrictReferenceLogs = parse.GetValue(_strict),
        NoCache = parse.GetValue(_noCache),
        JsonItems = parse.GetValue(_jsonItems),
        Embedded = parse.GetValue(_embedded),
        DryRun = parse.GetValue(_dryRun),
        Report = parse.GetValue(_report),
    };
}
