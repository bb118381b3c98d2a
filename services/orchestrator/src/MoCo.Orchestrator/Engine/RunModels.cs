using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Models.Catalog;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Engine;

/// <summary>The services a run calls: Generate (through a backend, so keys, seeds and replay stay in the engine), the
/// inference client (Score), and the evaluator (LoadDataset, Evaluate).</summary>
public sealed record RunServices(IGenerationBackend Generation, InferenceService.InferenceServiceClient Inference,
    EvaluatorService.EvaluatorServiceClient Evaluator)
{
    /// <summary>The affinity table the inference client's channel is intercepted with: each run registers how to make
    /// its merged and trained models again (contracts.md §9). A table no channel uses registers to no effect.</summary>
    public ReplicaAffinity Affinity { get; init; } = new();

    /// <summary>The services over gRPC channels to inference (or the gateway) and the evaluator, the inference client
    /// taking part in affinity: what the orchestrator host and `moco run` both run on.</summary>
    public static RunServices Over(Grpc.Core.ChannelBase inference, Grpc.Core.ChannelBase evaluator)
    {
        var affinity = new ReplicaAffinity();
        var client = new InferenceService.InferenceServiceClient(affinity.Intercept(inference));
        return new RunServices(new Methods.Primitives.Grpc.GrpcGenerationBackend(client), client, new EvaluatorService.EvaluatorServiceClient(evaluator))
        {
            Affinity = affinity,
        };
    }
}

/// <summary>Where a run looks things up: dataset folders after the request's (`MOCO_DATA_DIR` and defaults), the model
/// resolver for CFG009 (null = the inference service resolves models when they load), and the heartbeat period.</summary>
public sealed record RunEnvironment(IReadOnlyList<string> DataDirectories, ModelResolver? Models)
{
    /// <summary>How often the owner refreshes its heartbeat and polls the cancel flag (config-and-cli.md §5.1: 5 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Device placement of an embedded run (config-and-cli.md §2.3), checked with the config; null on a server,
    /// which places models itself.</summary>
    public Config.DeviceEnvironment? Devices { get; init; }

    /// <summary>"embedded" (the CLI hosts everything) or "server".</summary>
    public string Mode { get; init; } = "embedded";

    /// <summary>Where runs keep method side files (config-and-cli.md §6 MOCO_ARTIFACTS_DIR), one folder per run and method.</summary>
    public string ArtifactsDirectory { get; init; } = new MoCo.Hosting.MocoEnvironment().ArtifactsDirectory;
}

/// <summary>A run to start (StartRun, `moco run`): the config as written, the command line's overrides, and where the
/// logs go.</summary>
/// <param name="ConfigText">The config file as written.</param>
/// <param name="ConfigName">File name for error locations.</param>
/// <param name="ConfigDirectory">Folder of the config file (relative data and model paths); null = none.</param>
/// <param name="Overrides">`--compat`, `--seed`, `--limit`, `--limit-seed`, `--data-dir`, `--no-baselines`, …</param>
/// <param name="LogDirectory">The log folder (`-l`).</param>
/// <param name="LogOptions">`--overwrite-logs`, `--strict-reference-logs`.</param>
/// <param name="WantItems">Emit item_finished events.</param>
public sealed record RunStart(string ConfigText, string ConfigName, string? ConfigDirectory, RunOverrides Overrides, string LogDirectory,
    LogWriteOptions LogOptions, bool WantItems);

/// <summary>A run to resume (`moco run --resume`, ResumeRun; config-and-cli.md §5.3).</summary>
/// <param name="Run">Run reference: id, unique prefix, unique 4-character suffix, or `last`.</param>
/// <param name="ConfigText">A config to compare with the stored one; null = the stored config.</param>
/// <param name="Force">Resume even though the config changed.</param>
/// <param name="LogDirectory">The log folder.</param>
/// <param name="LogOptions">Log options.</param>
/// <param name="WantItems">Emit item_finished events.</param>
public sealed record RunResume(string Run, string? ConfigText, bool Force, string LogDirectory, LogWriteOptions LogOptions, bool WantItems)
{
    /// <summary>`--no-cache`: what the run has not stored is computed, never taken from other runs.</summary>
    public bool NoCache { get; init; }
}

/// <summary>How a run ended, for the CLI's table and exit code.</summary>
/// <param name="RunId">Run id.</param>
/// <param name="Status">Final state (succeeded, cancelled or failed).</param>
/// <param name="Config">The validated config.</param>
/// <param name="Score">avg_test_score; null unless succeeded.</param>
/// <param name="TestItems">Test items scored.</param>
/// <param name="Baselines">Each distinct model alone on test.</param>
/// <param name="ReferenceLog">The top-level reference log relative to the log folder; null when not written.</param>
/// <param name="LogFiles">Every file written.</param>
/// <param name="Wall">Wall time of this execution.</param>
/// <param name="CompletionTokens">Completion tokens this execution generated (the results table's tok/s): calls read
/// back from the store, by a resume or from another run, cost nothing now and are not counted.</param>
/// <param name="Error">Why it failed; null otherwise.</param>
public sealed record RunResult(string RunId, RunState Status, Config.RunConfig Config, double? Score, int TestItems, IReadOnlyList<ModelBaseline> Baselines,
    string? ReferenceLog, IReadOnlyList<string> LogFiles, TimeSpan Wall, long CompletionTokens, RunError? Error);

/// <summary>A run refused before any work: invalid config (CFG codes, exit 2), unknown run (exit 2), changed config
/// without --force (RUN_CHANGED, exit 3), or a run owned by a live process (RUN_OWNED, exit 4).</summary>
public sealed class RunRejectedException(string code, string message, IReadOnlyList<Config.ConfigProblem> problems) : Exception(message)
{
    /// <summary>CONFIG_INVALID, RUN_NOT_FOUND, RUN_CHANGED or RUN_OWNED.</summary>
    public string Code { get; } = code;

    /// <summary>Config problems (CONFIG_INVALID); empty otherwise.</summary>
    public IReadOnlyList<Config.ConfigProblem> Problems { get; } = problems;
}
