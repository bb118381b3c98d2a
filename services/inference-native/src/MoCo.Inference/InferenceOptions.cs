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
}
