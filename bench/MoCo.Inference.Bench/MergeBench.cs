using System.Diagnostics;
using MoCo.Contracts.V1;
using MoCo.Inference.Weights;

namespace MoCo.Inference.Bench;

/// <summary>
/// Merge throughput: input weight bytes merged per second by the Merge RPC (read, kernel, write, register), best of
/// <c>repeats</c> calls, and the process CPU time per GB (the host runs in this process): on a shared machine the CPU
/// time is the steadier figure, and their ratio shows how many cores a merge kept busy. "runner" times the merge alone
/// (<see cref="MergeRunner"/> in this process: read, kernels, write; no RPC and no loading of the result).
/// </summary>
public static class MergeBench
{
    public static async Task RunAsync(InferenceService.InferenceServiceClient client, string root, string[] members, int repeats = 1)
    {
        var inputBytes = members.Take(2).Sum(m => WeightBytes(root, m));
        Console.WriteLine();
        Console.WriteLine($"Merge of 2 inputs ({inputBytes / 1e6:F0} MB of weights read per merge; TIES and DARE_TIES also read the base)");
        Console.WriteLine($"{"method",14}{"s",8}{"GB/s",8}{"CPU s/GB",10}{"cores",7}{"runner s",10}{"GB/s",8}");
        var methods = new[] { MergeMethod.Linear, MergeMethod.TaskArithmetic, MergeMethod.Ties, MergeMethod.DareTies };
        foreach (var method in methods)
        {
            var (best, cpu, runner) = (double.MaxValue, double.MaxValue, double.MaxValue);
            for (var i = 0; i < repeats; i++)
            {
                var (seconds, cpuSeconds) = await MergeOnce(client, members, method, $"bench-merge-{method}-{i}");
                (best, cpu) = (Math.Min(best, seconds), Math.Min(cpu, cpuSeconds));
                runner = Math.Min(runner, RunnerOnce(root, Request(members, method, $"bench-runner-{method}-{i}")));
            }
            var read = inputBytes + (method == MergeMethod.Linear ? 0 : WeightBytes(root, members[0]));
            Console.WriteLine($"{method,14}{best,8:F2}{read / best / 1e9,8:F2}{cpu / (read / 1e9),10:F2}{cpu / best,7:F1}{runner,10:F2}{read / runner / 1e9,8:F2}");
        }

        // Each call above ends by loading its result (the contract makes it resident at once): how much of a call that is.
        var loaded = $"bench-merge-{MergeMethod.Linear}-0";
        await client.UnloadModelAsync(new UnloadModelRequest { Model = loaded });
        var watch = Stopwatch.StartNew();
        await client.LoadModelAsync(new LoadModelRequest { Model = loaded });
        Console.WriteLine($"of which registering: loading one merged model takes {watch.Elapsed.TotalSeconds:F2} s");
    }

    private static MergeRequest Request(string[] members, MergeMethod method, string id)
    {
        var request = new MergeRequest { Method = method, OutputId = id, Seed = 1 };
        var density = method is MergeMethod.Ties or MergeMethod.DareTies ? 0.5 : 1.0;
        request.Inputs.Add(members.Skip(1).Select(m => new MergeInput { Model = m, Weight = 0.5, Density = density }));
        if (method != MergeMethod.Linear)
        {
            request.BaseModel = members[0];
        }
        return request;
    }

    // The merge alone, in this process: files read, kernels run, weights written; no RPC, no fingerprint, no load.
    private static double RunnerOnce(string root, MergeRequest request)
    {
        var staging = Directory.CreateTempSubdirectory("moco-merge-bench-").FullName;
        try
        {
            var settings = MergeSettings.From(request, (name, _) => Path.Combine(root, name));
            var watch = Stopwatch.StartNew();
            new MergeRunner(settings).Run(staging, "model.safetensors");
            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static async Task<(double Seconds, double CpuSeconds)> MergeOnce(InferenceService.InferenceServiceClient client, string[] members, MergeMethod method, string id)
    {
        var request = Request(members, method, id);
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await client.MergeAsync(request);
        var seconds = watch.Elapsed.TotalSeconds;
        process.Refresh();
        return (seconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    private static long WeightBytes(string root, string model) =>
        Directory.EnumerateFiles(Path.Combine(root, model), "*.safetensors").Sum(f => new FileInfo(f).Length);
}
