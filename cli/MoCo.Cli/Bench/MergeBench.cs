using System.Diagnostics;
using MoCo.Contracts.V1;
using MoCo.Inference.Weights;
using MoCo.Native;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench merge`: the weight merges as the Merge RPC runs them (<see cref="MergeRunner"/>: safetensors read in
/// chunks, the native merge kernels, the merged file written), in GB of input weights per second, against the host's
/// copy bandwidth and against copying the same files, both measured in the same run. LINEAR averages the two models;
/// the task-vector methods take the first as the base and the second as the fine-tune.
/// </summary>
public static class MergeBench
{
    private const long CopyBytes = 256L << 20;

    private static readonly (MergeMethod Method, string Name)[] Methods =
    [
        (MergeMethod.Linear, "LINEAR"), (MergeMethod.TaskArithmetic, "TASK_ARITHMETIC"), (MergeMethod.Ties, "TIES"), (MergeMethod.DareTies, "DARE_TIES"),
    ];

    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/> and <see cref="BenchOptions.Partner"/>.</summary>
    public static BenchSuiteResult Run(BenchOptions options, TextWriter log)
    {
        using var context = MocoContext.Create("cpu", options.Threads);
        log.WriteLine("merge: copy bandwidth of the host");
        var bandwidth = context.CopyBandwidth(CopyBytes) / 1e9;
        var inputs = new[] { options.Model.Directory, options.Partner.Directory };
        var bytes = inputs.Sum(WeightBytes);
        var staging = Directory.CreateTempSubdirectory("moco-bench-merge-");
        try
        {
            log.WriteLine("merge: a file copy of the inputs and each method, interleaved");
            var rates = Measure.BestOfEach(options.Repeats, [
                () => Measure.Sustained(() => CopyFiles(inputs, staging.FullName, bytes)),
                .. Methods.Select(m => (Func<double>)(() => Measure.Sustained(() => MergeOnce(options, m.Method, staging.FullName, bytes))))]);
            var rows = new List<BenchRow>
            {
                new("copy bandwidth (host memory)", bandwidth, "GB/s", null, 0, $"read + written, {CopyBytes >> 20} MiB, {context.Threads} threads"),
                new("file copy of the inputs", rates[0], "GB/s", "copy bandwidth", bandwidth, "the input bytes read per second by File.Copy"),
            };
            foreach (var ((_, name), i) in Methods.Select((m, i) => (m, i)))
            {
                rows.Add(new BenchRow($"merge {name}, 2 models", rates[i + 1], "GB/s", "copy bandwidth", bandwidth, "input bytes read per second: read, kernels, write"));
            }
            var setup = $"{options.Model.Name} and {options.Partner.Name} ({bytes / 1e6:F1} MB of weights read per merge) on the host, "
                + $"{context.Threads} threads; density 0.5 for TIES and DARE_TIES; best of {options.Repeats}";
            return new BenchSuiteResult("merge", setup, rows);
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    private static (double Gigabytes, double Seconds) MergeOnce(BenchOptions options, MergeMethod method, string staging, long bytes)
    {
        var request = new MergeRequest { Method = method, OutputId = "bench-merged", Seed = 1 };
        if (method == MergeMethod.Linear)
        {
            request.Inputs.Add(new MergeInput { Model = BenchCluster.First, Weight = 0.5 });
            request.Inputs.Add(new MergeInput { Model = BenchCluster.Second, Weight = 0.5 });
        }
        else
        {
            request.BaseModel = BenchCluster.First;
            request.Inputs.Add(new MergeInput { Model = BenchCluster.Second, Weight = 1.0, Density = method == MergeMethod.TaskArithmetic ? 1.0 : 0.5 });
        }
        var settings = MergeSettings.From(request, (name, _) => name == BenchCluster.First ? options.Model.Directory : options.Partner.Directory);
        var output = Directory.CreateDirectory(Path.Combine(staging, "merged"));
        try
        {
            var clock = Stopwatch.StartNew();
            new MergeRunner(settings).Run(output.FullName, "model.safetensors");
            return (bytes / 1e9, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static (double Gigabytes, double Seconds) CopyFiles(IEnumerable<string> models, string staging, long bytes)
    {
        var output = Directory.CreateDirectory(Path.Combine(staging, "copied"));
        try
        {
            var clock = Stopwatch.StartNew();
            var n = 0;
            foreach (var file in models.SelectMany(m => Directory.EnumerateFiles(m, "*.safetensors")))
            {
                File.Copy(file, Path.Combine(output.FullName, $"{n++}.safetensors"));
            }
            return (bytes / 1e9, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static long WeightBytes(string model) =>
        Directory.EnumerateFiles(model, "*.safetensors").Sum(f => new FileInfo(f).Length);
}
