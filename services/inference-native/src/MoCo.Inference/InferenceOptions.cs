namespace MoCo.Inference;

/// <summary>Inference settings, bound from the configuration section <c>Moco:Inference</c>
/// (or `moco serve inference --device … --models-dir …`).</summary>
public sealed class InferenceOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Inference";

    /// <summary>Device models run on: cpu, cuda:N or auto; null = MOCO_DEVICE, else auto (config-and-cli.md §2.3).</summary>
    public string? Device { get; set; }

    /// <summary>Models folders searched before MOCO_MODELS_DIR and the defaults.</summary>
    public List<string> ModelDirectories { get; set; } = [];

    /// <summary>Models loaded at start-up, by name; a model that cannot be loaded stops the host.</summary>
    public List<string> Preload { get; set; } = [];

    /// <summary>Bytes resident models may take together, weights plus KV caches; null = the device's memory.</summary>
    public long? MemoryBudgetBytes { get; set; }

    /// <summary>Tokens each resident model's KV cache holds, over all its sequences; the cache is allocated at load.</summary>
    public int KvCacheTokens { get; set; } = 16384;

    /// <summary>Tokens per KV block: the unit admission reserves in.</summary>
    public int KvBlockTokens { get; set; } = 16;

    /// <summary>Sequences one model's cache holds at once (n samples of a request count each).</summary>
    public int MaxSequences { get; set; } = 256;

    /// <summary>Tokens one scheduler step feeds at most, decodes first, prefill chunks in the rest.</summary>
    public int StepTokens { get; set; } = 256;

    /// <summary>Requests waiting for admission per model beyond which new ones are refused (RESOURCE_EXHAUSTED QUEUE_FULL).</summary>
    public int MaxQueuedRequests { get; set; } = 256;

    /// <summary>Folder Train writes trained models (adapters or checkpoints) to before registering them; null = moco-trained-models under the system temp folder.</summary>
    public string? TrainedModelsDirectory { get; set; }

    /// <summary>The folder trained models are written to: <see cref="TrainedModelsDirectory"/>, else moco-trained-models under the system temp folder.</summary>
    public string TrainedModelsRoot => TrainedModelsDirectory ?? Path.Combine(Path.GetTempPath(), "moco-trained-models");

    /// <summary>Seconds between the saves of a running Train job's state for a later resume (besides the save when it is
    /// cancelled; a positive interval grows to 20 times a save's own duration when that is more); 0 = after every
    /// step.</summary>
    public double TrainResumeSeconds { get; set; } = 60;

    /// <summary>Folder WriteModel's persist_as names are relative to; null = MOCO_ARTIFACTS_DIR, else $MOCO_HOME/artifacts (config-and-cli.md §6).</summary>
    public string? ArtifactsDirectory { get; set; }
}
