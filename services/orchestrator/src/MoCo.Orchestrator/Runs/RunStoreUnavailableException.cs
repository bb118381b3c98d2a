namespace MoCo.Orchestrator.Runs;

/// <summary>The configured run store cannot be used (CLI exit 4, config-and-cli.md §4.1): the message names the
/// setting, MOCO_RUN_STORE or `--store`, and what is wrong with it.</summary>
public sealed class RunStoreUnavailableException(string problem, Exception? inner = null)
    : Exception($"the run store set by MOCO_RUN_STORE (or --store) {problem}", inner);
