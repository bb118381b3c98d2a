using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Json;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>
/// Starts, resumes and cancels runs (contracts.md §7, config-and-cli.md §5): validates before any work, creates the
/// run in the store owned by this process, and hands it to <see cref="RunExecution"/>. Resume replays the stored
/// config from the start — stored calls answer from the store, so nothing finished is redone — after comparing a given
/// config's canonical form with the stored one.
/// </summary>
public sealed class RunEngine(IRunStore store, RunServices services, RunEnvironment environment, MethodRegistry registry)
{
    private readonly ConcurrentDictionary<string, ActiveRun> _active = new(StringComparer.Ordinal);

    /// <summary>This process's owner name in the store (host and process id, plus an instance id so two engines in one
    /// process — tests, embedded clusters — do not share ownership).</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}"[..^24];

    /// <summary>The store.</summary>
    public IRunStore Store => store;

    /// <summary>Validates and runs a config; events go to <paramref name="emit"/> as they happen.</summary>
    /// <exception cref="RunRejectedException">Invalid config (nothing was created).</exception>
    public async Task<RunResult> StartAsync(RunStart start, Action<RunEvent> emit, CancellationToken cancellationToken)
    {
        var overrides = start.Overrides;
        var validation = Check(start.ConfigText, start.ConfigName, start.ConfigDirectory, overrides, environment, registry);
        var config = validation.Config!;
        var created = DateTimeOffset.UtcNow;
        var runId = RunIds.New(created);
        var seed = overrides.Seed ?? config.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var limit = overrides.Limit ?? config.Evaluation.Limit;
        var limitSeed = overrides.LimitSeed ?? config.Evaluation.LimitSeed;
        var descriptor = registry.Find(config.Method)!;
        var fingerprints = await ModelFingerprints.CollectAsync(Models(config), config, cancellationToken).ConfigureAwait(false);
        // Registered before the store has the run, so a watcher never finds it running here without its live events.
        using var active = Activate(runId, cancellationToken);
        await store.CreateRunAsync(new NewRun(runId, Owner, config.Method, config.Task, config.TaskType, config.ModelNames, config.Compat.Name(), seed,
            config.ConfigText, ResolvedConfig.Build(config, seed, limit, limitSeed).ToJsonString(), limit, limitSeed, DatasetSha256(config), fingerprints,
            MocoInfo.Version, descriptor.Version, environment.Mode, created), cancellationToken).ConfigureAwait(false);
        var plan = new RunPlan(runId, config, seed, limit, limitSeed, [.. overrides.DataDirs], overrides.NoBaselines, Resumed: false, start.LogDirectory,
            start.LogOptions, start.WantItems)
        {
            NoCache = overrides.NoCache,
            Warnings = [.. validation.Problems.Where(p => p.Severity == ProblemSeverity.Warning).Select(p => p.Format(start.ConfigName))],
        };
        return await ExecuteAsync(plan, active, emit).ConfigureAwait(false);
    }

    /// <summary>Resumes a run (config-and-cli.md §5.3).</summary>
    /// <exception cref="RunRejectedException">Unknown run, changed config without force, or owned by a live process.</exception>
    public async Task<RunResult> ResumeAsync(RunResume resume, Action<RunEvent> emit, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(resume.Run, cancellationToken).ConfigureAwait(false);
        var record = (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
        var text = record.Run.ConfigText;
        var changes = new List<string>();
        if (resume.ConfigText is { } given)
        {
            changes.AddRange(ConfigDiff.Lines(Canonical(text), Canonical(given)));
            if (changes.Count > 0 && resume.Force)
            {
                text = given;
            }
        }
        // The run keeps the compat mode it was created with (a --compat override is stored, not re-read from the file).
        var config = Validate(text, "config", null, new RunOverrides { Compat = record.Run.Compat == "reference" ? Compat.Reference : Compat.Moco });
        if (DatasetSha256(config) is { Length: > 0 } dataset && record.Run.DatasetSha256 is { Length: > 0 } stored && dataset != stored)
        {
            changes.Add($"dataset {config.DatasetPath}: sha256 {stored[..8]}… → {dataset[..8]}… (file changed)");
        }
        changes.AddRange(ModelFingerprints.Changes(record.Run.ModelFingerprintsJson,
            await ModelFingerprints.CollectAsync(Models(config), config, cancellationToken).ConfigureAwait(false)));
        var version = registry.Find(config.Method)!.Version;
        if (version != record.Run.MethodVersion)
        {
            changes.Add($"{config.Method} implementation version {record.Run.MethodVersion} → {version}");
        }
        if (changes.Count > 0 && !resume.Force)
        {
            throw new RunRejectedException("RUN_CHANGED", $"run {id} was started with a different config, data or models:\n  " + string.Join("\n  ", changes), []);
        }
        using var active = Activate(id, cancellationToken);
        if (!await store.TryTakeOwnershipAsync(id, Owner, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false))
        {
            throw new RunRejectedException("RUN_OWNED", $"run {id} is owned by a live process ({record.Owner})", []);
        }
        var plan = new RunPlan(id, config, record.Run.Seed, record.Run.Limit, record.Run.LimitSeed,
            [], NoBaselines: false, Resumed: true, resume.LogDirectory, resume.LogOptions, resume.WantItems) { NoCache = resume.NoCache };
        return await ExecuteAsync(plan, active, emit).ConfigureAwait(false);
    }

    /// <summary>Sets the run's cancel flag; a run of this process stops at once, another process's at its next heartbeat.</summary>
    public async Task<string> CancelAsync(string reference, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        await store.RequestCancelAsync(id, cancellationToken).ConfigureAwait(false);
        if (_active.TryGetValue(id, out var running))
        {
            await running.Cancel.CancelAsync().ConfigureAwait(false);
        }
        return id;
    }

    /// <summary>WatchRun (contracts.md §1): the live events of a run executing here, after a replay of its state; the
    /// stored state of a run that is not (finished, cancelled, failed, interrupted), ending with run_finished.</summary>
    /// <exception cref="RunRejectedException">Unknown run, or a run executing in another live process (RUN_OWNED).</exception>
    public async Task<RunBroadcast.Subscription> WatchAsync(string reference, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        if (_active.TryGetValue(id, out var running))
        {
            return running.Broadcast.Subscribe();
        }
        var record = (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
        var now = DateTimeOffset.UtcNow;
        if (record.StatusAt(now) is RunState.Running or RunState.Cancelling)
        {
            throw new RunRejectedException("RUN_OWNED", $"run {id} is executing in another process ({record.Owner}): watch it through the server that runs it", []);
        }
        var replay = new RunBroadcast();
        foreach (var e in await RunReplay.FromStoreAsync(store, record, now, cancellationToken).ConfigureAwait(false))
        {
            replay.Publish(e);
        }
        replay.Complete();
        return replay.Subscribe();
    }

    /// <summary>The id a reference names.</summary>
    /// <exception cref="RunRejectedException">RUN_NOT_FOUND, or an ambiguous reference.</exception>
    public Task<string> ResolveAsync(string reference, CancellationToken cancellationToken) => ResolveAsync(store, reference, cancellationToken);

    /// <summary>The id a reference names in <paramref name="store"/>.</summary>
    /// <exception cref="RunRejectedException">RUN_NOT_FOUND, or an ambiguous reference.</exception>
    public static async Task<string> ResolveAsync(IRunStore store, string reference, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ResolveAsync(reference, cancellationToken).ConfigureAwait(false)
                ?? throw new RunRejectedException("RUN_NOT_FOUND", $"no run \"{reference}\" in the run store", []);
        }
        catch (AmbiguousRunException e)
        {
            throw new RunRejectedException("RUN_NOT_FOUND", e.Message, []);
        }
    }

    // Every event goes to the run's broadcast (watchers may want items even when the starter did not); the caller gets
    // item events only when it asked for them.
    private async Task<RunResult> ExecuteAsync(RunPlan plan, ActiveRun active, Action<RunEvent> emit)
    {
        var execution = new RunExecution(store, services, registry, plan with { WantItems = true }, Owner, environment, e =>
        {
            active.Broadcast.Publish(e);
            if (plan.WantItems || !RunEvents.IsItem(e))
            {
                emit(e);
            }
        });
        return await execution.RunAsync(active.Cancel).ConfigureAwait(false);
    }

    private ActiveRun Activate(string id, CancellationToken cancellationToken)
    {
        var active = new ActiveRun(id, _active, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
        if (!_active.TryAdd(id, active))
        {
            active.Cancel.Dispose();
            throw new RunRejectedException("RUN_OWNED", $"run {id} is already running in this process", []);
        }
        return active;
    }

    // A run executing in this process: its cancel source and its events for watchers. Disposing ends both.
    private sealed class ActiveRun(string id, ConcurrentDictionary<string, ActiveRun> registry, CancellationTokenSource cancel) : IDisposable
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public RunBroadcast Broadcast { get; } = new();

        public void Dispose()
        {
            registry.TryRemove(KeyValuePair.Create(id, this));
            Broadcast.Complete();
            Cancel.Dispose();
        }
    }

    /// <summary>Validates a config as a run does — the command line's data folders and compat, then the environment's
    /// folders and models — and returns the result with its warnings (`moco run --dry-run` checks the same way).</summary>
    /// <exception cref="RunRejectedException">CONFIG_INVALID, with the problems.</exception>
    /// <exception cref="MethodNotImplementedException">The method is not built.</exception>
    public static ValidationResult Check(string text, string name, string? configDirectory, RunOverrides overrides, RunEnvironment environment,
        MethodRegistry registry)
    {
        var options = new ValidationOptions(
            AllowUnknownKeys: overrides.AllowUnknownKeys,
            DataDirectories: [.. overrides.DataDirs],
            EnvironmentDataDirectories: environment.DataDirectories,
            Models: environment.Models,
            ConfigDirectory: configDirectory,
            Compat: overrides.Compat switch { Compat.Reference => CompatMode.Reference, Compat.Moco => CompatMode.Moco, _ => null },
            Devices: environment.Devices);
        var result = new ConfigValidator(registry).Validate(text, name, options);
        if (result.Config is null)
        {
            throw new RunRejectedException("CONFIG_INVALID", $"{name}: invalid config, {result.Errors.Count} error(s)", result.Problems);
        }
        if (!registry.IsImplemented(result.Config.Method))
        {
            throw new MethodNotImplementedException(result.Config.Method);
        }
        return result;
    }

    private RunConfig Validate(string text, string name, string? directory, RunOverrides overrides) =>
        Check(text, name, directory, overrides, environment, registry).Config!;

    private AddressedGenerationBackend Models(RunConfig config) => new(services.Generation, ModelAddresses.For(config, environment.Models));

    private static string DatasetSha256(RunConfig config) => config.DatasetPath is { } path && File.Exists(path)
        ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : "";

    // The comparable tree of a config (config-and-cli.md §5.3; ConfigDiff compares it in canonical form): comments
    // dropped, and keys that change placement or throughput only (gpu_ids, device, batch_size except where graph
    // routing trains on it, judge_batch_size) left out.
    private static JsonNode? Canonical(string text)
    {
        var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (node is JsonObject root)
        {
            root.Remove("gpu_ids");
            root.Remove("device");
            if (root["hyperparameters"] is JsonObject hyperparameters)
            {
                if ((string?)root["method"] != "api_graph_routing")
                {
                    hyperparameters.Remove("batch_size");
                }
                hyperparameters.Remove("judge_batch_size");
            }
        }
        return node;
    }
}
