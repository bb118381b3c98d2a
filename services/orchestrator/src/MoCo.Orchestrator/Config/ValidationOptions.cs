using MoCo.Models.Catalog;

namespace MoCo.Orchestrator.Config;

/// <summary>How strictly and against what a config is validated (config-and-cli.md §1.5, §4.1 flags).</summary>
/// <param name="AllowUnknownKeys">`--allow-unknown-keys`: unknown keys are warnings.</param>
/// <param name="SyntaxOnly">`--syntax-only`: JSON syntax and duplicate keys only.</param>
/// <param name="DataDirectories">Dataset search path before `evaluation.data_dirs` (`--data-dir`); the environment's
/// folders (MOCO_DATA_DIR, defaults) come after the config's. Null = skip the environment checks of the task.</param>
/// <param name="EnvironmentDataDirectories">MOCO_DATA_DIR and the default folders, searched last.</param>
/// <param name="Models">Model resolver for CFG009; null = models are not checked.</param>
/// <param name="ConfigDirectory">Folder of the config file: `evaluation.data_dirs` and model paths resolve against it.</param>
/// <param name="Compat">`--compat`, overriding the config's key.</param>
public sealed record ValidationOptions(
    bool AllowUnknownKeys = false,
    bool SyntaxOnly = false,
    IReadOnlyList<string>? DataDirectories = null,
    IReadOnlyList<string>? EnvironmentDataDirectories = null,
    ModelResolver? Models = null,
    string? ConfigDirectory = null,
    CompatMode? Compat = null,
    DeviceEnvironment? Devices = null)
{
    /// <summary>True when the task is looked up.</summary>
    public bool ChecksTask => DataDirectories is not null || EnvironmentDataDirectories is not null;
}

/// <summary>What device placement is checked against (config-and-cli.md §2.3), in an embedded run; a server places
/// models itself, so there is none.</summary>
/// <param name="Requested">`--device`, else MOCO_DEVICE; null when neither is set.</param>
/// <param name="CudaDevices">CUDA devices this process sees.</param>
public sealed record DeviceEnvironment(string? Requested, int CudaDevices);
