using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Json;
using MoCo.Orchestrator.Methods;
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
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _active = new(StringComparer.Ordinal);

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
        var config = Validate(start.ConfigText, start.ConfigName, start.ConfigDirectory, overrides);
        var created = DateTimeOffset.UtcNow;
        var runId = RunIds.New(created);
        var seed = overrides.Seed ?? config.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var limit = overrides.Limit ?? config.Evaluation.Limit;
        var limitSeed = overrides.LimitSeed ?? config.Evaluation.LimitSeed;
        var descriptor = registry.Find(config.Method)!;
        await store.CreateRunAsync(new NewRun(runId, Owner, config.Method, config.Task, config.TaskType, config.ModelNames, config.Compat.Name(), seed,
            config.ConfigText, ResolvedConfig.Build(config, seed, limit, limitSeed).ToJsonString(), limit, limitSeed, DatasetSha256(config), "[]",
            MocoInfo.Version, descriptor.Version, environment.Mode, created), cancellationToken).ConfigureAwait(false);
        var plan = new RunPlan(runId, config, seed, limit, limitSeed, [.. overrides.DataDirs], overrides.NoBaselines, Resumed: false, start.LogDirectory,
            start.LogOptions, start.WantItems);
        return await ExecuteAsync(plan, emit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resumes a run (config-and-cli.md §5.3).</summary>
    /// <exception cref="RunRejectedException">Unknown run, changed config without force, or owned by a live process.</exception>
    public async Task<RunResult> ResumeAsync(RunResume resume, Action<RunEvent> emit, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(resume.Run, cancellationToken).ConfigureAwait(false);
        var record = (await store.GetRunAsync(id, cancellationToken).ConfigureAwait(false))!;
        var text = record.Run.ConfigText;
        if (resume.ConfigText is { } given && Canonical(given) != Canonical(text))
        {
            if (!resume.Force)
            {
                throw new RunRejectedException("RUN_CHANGED", $"run {id} was started with a different config", []);
            }
            text = given;
        }
        // The run keeps the compat mode it was created with (a --compat override is stored, not re-read from the file).
        var config = Validate(text, "config", null, new RunOverrides { Compat = record.Run.Compat == "reference" ? Compat.Reference : Compat.Moco });
        if (!await store.TryTakeOwnershipAsync(id, Owner, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false))
        {
            throw new RunRejectedException("RUN_OWNED", $"run {id} is owned by a live process ({record.Owner})", []);
        }
        var plan = new RunPlan(id, config, record.Run.Seed, record.Run.Limit, record.Run.LimitSeed,
            [], NoBaselines: false, Resumed: true, resume.LogDirectory, resume.LogOptions, resume.WantItems);
        return await ExecuteAsync(plan, emit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the run's cancel flag; a run of this process stops at once, another process's at its next heartbeat.</summary>
    public async Task<string> CancelAsync(string reference, CancellationToken cancellationToken)
    {
        var id = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        await store.RequestCancelAsync(id, cancellationToken).ConfigureAwait(false);
        if (_active.TryGetValue(id, out var running))
        {
            await running.CancelAsync().ConfigureAwait(false);
        }
        return id;
    }

    /// <summary>The id a reference names.</summary>
    /// <exception cref="RunRejectedException">RUN_NOT_FOUND, or an ambiguous reference.</exception>
    public async Task<string> ResolveAsync(string reference, CancellationToken cancellationToken)
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

    private async Task<RunResult> ExecuteAsync(RunPlan plan, Action<RunEvent> emit, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _active[plan.RunId] = cancel;
        try
        {
            var execution = new RunExecution(store, services, registry, plan, Owner, environment, emit);
            return await execution.RunAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            _active.TryRemove(plan.RunId, out _);
        }
    }

    private RunConfig Validate(string text, string name, string? directory, RunOverrides overrides)
    {
        var options = new ValidationOptions(
            AllowUnknownKeys: overrides.AllowUnknownKeys,
            DataDirectories: [.. overrides.DataDirs],
            EnvironmentDataDirectories: environment.DataDirectories,
            Models: environment.Models,
            ConfigDirectory: directory,
            Compat: overrides.Compat switch { Compat.Reference => CompatMode.Reference, Compat.Moco => CompatMode.Moco, _ => null });
        var result = new ConfigValidator(registry).Validate(text, name, options);
        if (result.Config is null)
        {
            throw new RunRejectedException("CONFIG_INVALID", $"{name}: invalid config, {result.Errors.Count} error(s)", result.Problems);
        }
        if (!registry.IsImplemented(result.Config.Method))
        {
            throw new MethodNotImplementedException(result.Config.Method);
        }
        return result.Config;
    }

    private static string DatasetSha256(RunConfig config) => config.DatasetPath is { } path && File.Exists(path)
        ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : "";

    // Comments and whitespace dropped, keys sorted, 5 = 5.0 (config-and-cli.md §5.3); keys that change placement or
    // throughput only (gpu_ids, device, batch_size except where graph routing trains on it, judge_batch_size) do not
    // count as a change.
    private static string Canonical(string text)
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
        return CanonicalJson.Serialize(node);
    }
}
