using MoCo.Hosting;
using MoCo.Native;

namespace MoCo.Cli.Bench;

/// <summary>The suites of `moco bench`, in the order they run, and the run of a chosen few into one report.</summary>
public static class BenchSuites
{
    /// <summary>Every suite's name and what it measures, in run order.</summary>
    public static readonly IReadOnlyList<(string Name, string Measures)> All =
    [
        ("engine", "decode tokens/s at each batch size against the memory-bandwidth bound; prefill"),
        ("fusion", "logit fusion of 2 models (GenerateEnsemble) against one model's Generate"),
        ("merge", "weight merges in GB/s against the host's copy bandwidth"),
        ("tokenizer", "encode and decode tokens/s against the engine's prefill rate"),
        ("gateway", "per-call cost in-process, over gRPC, and through the gateway"),
        ("e2e", "a collaboration config's run against single_model on its first model"),
    ];

    /// <summary>Runs <paramref name="suites"/> in <see cref="All"/>'s order. A suite that fails is recorded with its
    /// error and the next one runs: what was measured before it is kept.</summary>
    public static async Task<BenchReport> RunAsync(IReadOnlyCollection<string> suites, BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        var results = new List<BenchSuiteResult>();
        var failures = new Dictionary<string, string>();
        foreach (var (name, _) in All.Where(s => suites.Contains(s.Name)))
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                results.Add(name switch
                {
                    "engine" => EngineBench.Run(options, log),
                    "fusion" => await FusionBench.RunAsync(options, log, cancel).ConfigureAwait(false),
                    "merge" => MergeBench.Run(options, log),
                    "tokenizer" => TokenizerBench.Run(options, log),
                    "gateway" => await GatewayBench.RunAsync(options, log, cancel).ConfigureAwait(false),
                    _ => await E2eBench.RunAsync(options, log, cancel).ConfigureAwait(false),
                });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.WriteLine($"{name}: failed: {e.Message}");
                failures[name] = e.Message;
            }
        }
        return new BenchReport(MocoInfo.Version, $"libmoco {MocoEngine.Version} ({MocoEngine.BuildInfo})", Machine(), DateTimeOffset.UtcNow, results, failures);
    }

    private static string Machine()
    {
        var cpu = MocoEngine.Devices[0];
        var gpus = MocoEngine.Devices.Skip(1).Select(d => $"{d.Name} {d.Description}");
        return string.Join("; ", [$"{cpu.Description}, {cpu.Threads} usable cores, {cpu.MemoryBytes / (1UL << 30)} GiB", .. gpus]);
    }
}
