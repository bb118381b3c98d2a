using MoCo.Models.Catalog;

namespace MoCo.Cli.Bench;

/// <summary>A model a suite runs on: the name it was asked by and the folder it resolved to.</summary>
public sealed record BenchModel(string Name, string Directory);

/// <summary>What `moco bench` was asked to measure and on what; the suites read the parts they use.</summary>
/// <param name="Models">The model every suite runs on first; fusion and merge take the second as their other member
/// (the first again, loaded separately, when only one is given).</param>
/// <param name="Device">"cpu", "cuda:N" or "auto", as the native engine accepts it.</param>
/// <param name="Threads">Host threads of the engine (0: every usable core).</param>
/// <param name="PromptTokens">Prompt length of prefill and of the decode batches.</param>
/// <param name="NewTokens">Tokens each decode, fusion and gateway generation produces.</param>
/// <param name="Batches">Decode batch sizes of the engine suite.</param>
/// <param name="Repeats">Timed repetitions of each workload; the best is reported (the steadiest figure on a shared machine).</param>
/// <param name="Config">The e2e suite's collaboration config.</param>
/// <param name="Limit">Items per split the e2e suite runs.</param>
/// <param name="DataDirectories">Where the e2e suite looks for its task (the CLI's data search path).</param>
/// <param name="Resolver">The model search path (the e2e suite resolves its config's models through it).</param>
public sealed record BenchOptions(
    IReadOnlyList<BenchModel> Models,
    string Device,
    int Threads,
    int PromptTokens,
    int NewTokens,
    IReadOnlyList<int> Batches,
    int Repeats,
    string Config,
    int Limit,
    IReadOnlyList<string> DataDirectories,
    ModelResolver Resolver)
{
    /// <summary>The first model.</summary>
    public BenchModel Model => Models[0];

    /// <summary>The second member of two-model suites.</summary>
    public BenchModel Partner => Models.Count > 1 ? Models[1] : Models[0];
}
