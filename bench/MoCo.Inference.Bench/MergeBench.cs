using System.Diagnostics;
using MoCo.Contracts.V1;

namespace MoCo.Inference.Bench;

/// <summary>Merge throughput: input weight bytes merged per second by the Merge RPC (read, kernel, write, register).</summary>
public static class MergeBench
{
    public static async Task RunAsync(InferenceService.InferenceServiceClient client, string root, string[] members)
    {
        var inputBytes = members.Take(2).Sum(m => WeightBytes(root, m));
        Console.WriteLine();
        Console.WriteLine($"Merge of 2 inputs ({inputBytes / 1e6:F0} MB of weights read per merge; TIES and DARE_TIES also read the base)");
        Console.WriteLine($"{"method",14}{"s",8}{"GB/s",8}");
        var methods = new[] { MergeMethod.Linear, MergeMethod.TaskArithmetic, MergeMethod.Ties, MergeMethod.DareTies };
        foreach (var method in methods)
        {
            var request = new MergeRequest { Method = method, OutputId = $"bench-merge-{method}", Seed = 1 };
            var density = method is MergeMethod.Ties or MergeMethod.DareTies ? 0.5 : 1.0;
            request.Inputs.Add(members.Skip(1).Select(m => new MergeInput { Model = m, Weight = 0.5, Density = density }));
            var read = inputBytes;
            if (method != MergeMethod.Linear)
            {
                request.BaseModel = members[0];
                read += WeightBytes(root, members[0]);
            }
            var watch = Stopwatch.StartNew();
            await client.MergeAsync(request);
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"{method,14}{seconds,8:F2}{read / seconds / 1e9,8:F2}");
        }
    }

    private static long WeightBytes(string root, string model) =>
        Directory.EnumerateFiles(Path.Combine(root, model), "*.safetensors").Sum(f => new FileInfo(f).Length);
}
