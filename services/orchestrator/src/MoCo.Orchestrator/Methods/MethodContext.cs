using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods;

/// <summary>Everything a method may use: the validated config, the run's identity and seed, the task's dev/test data,
/// generation and scoring over the inference service, evaluation, and the run recorder (phases, progress, per-item
/// persistence, resumable calls).</summary>
public sealed record MethodContext(
    RunConfig Config,
    string RunId,
    ulong Seed,
    ITaskData Data,
    IGenerationService Generation,
    IScoringService Scoring,
    IEvaluationService Evaluation,
    IRunRecorder Recorder)
{
    /// <summary>Ensemble decoding (logit methods) with the same keys and replay as <see cref="Generation"/>; null where
    /// the run's services cannot decode ensembles.</summary>
    public IEnsembleGenerationService? Ensembles { get; init; }

    /// <summary>Merge and model persistence (weight methods); null where the run's services cannot merge.</summary>
    public IMergeService? Merges { get; init; }

    /// <summary>The artifact name of <paramref name="relative"/> (the reference's path, e.g.
    /// `model_collaboration/logs/greedy_soup`) in this run's artifact folder, `&lt;run_id&gt;/&lt;method&gt;/…`
    /// (config-and-cli.md §3.3), relative to the artifacts folder.</summary>
    public string ArtifactName(string relative) => $"{RunId}/{Config.Method}/{relative.Trim('/')}";

    /// <summary>LoRA training on the inference service (methods-text.md §0.9), keyed and reused like calls; null where
    /// the run's services cannot train.</summary>
    public ITrainingService? Training { get; init; }

    /// <summary>Text embeddings (api_graph_routing) with the same keys and replay as <see cref="Generation"/>; null where
    /// the run's services cannot embed.</summary>
    public IEmbeddingService? Embeddings { get; init; }

    /// <summary>Token-level decoding (Decode, Tokenize, Detokenize; the api_* token-level methods) with model names
    /// mapped to the run's addresses; null where the run's services cannot decode.</summary>
    public MoCo.Router.Decoding.IDecodeBackend? Decoding { get; init; }

    /// <summary>The artifacts folder on this machine (MOCO_ARTIFACTS_DIR); null = the environment's.</summary>
    public string? ArtifactsRoot { get; init; }

    /// <summary>The run's artifact folder for method side files (config-and-cli.md §3.3:
    /// `&lt;MOCO_ARTIFACTS_DIR&gt;/&lt;run_id&gt;/&lt;method&gt;/`); created by the method that writes there.</summary>
    public string ArtifactDirectory => Path.Combine(ArtifactsRoot ?? new MoCo.Hosting.MocoEnvironment().ArtifactsDirectory, RunId, Config.Method);

    /// <summary>The method's scope of call keys and random streams: {method, compat} as §5.2 names them.</summary>
    public CallSite Site(string phase, string role) => new(Config.Method, Config.Compat, phase, role);
}
