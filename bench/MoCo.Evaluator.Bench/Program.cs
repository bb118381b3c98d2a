using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using MoCo.Contracts.V1;
using MoCo.Evaluator;
using MoCo.Evaluator.Bench;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Hosting;

// Evaluator throughput: every MoCo dataset through a real evaluator host on loopback (gRPC streaming both ways),
// outputs with known scores, then a generated 10k-item view. Prints one row per dataset and split.
var dataDir = Arg("--data-dir") ?? Environment.GetEnvironmentVariable("MOCO_DATA_DIR") ?? Path.GetFullPath("../shared/datasets/moco");
var codingItems = int.Parse(Arg("--coding-items") ?? "60", CultureInfo.InvariantCulture);
var only = Arg("--tasks")?.Split(',').ToHashSet();
var maxParallel = Arg("--max-parallel") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
// --sandbox-service: coding programs go to a sandbox service on loopback (`moco serve sandbox`), as in a cluster.
var remoteSandbox = args.Contains("--sandbox-service");

var loopback = new Dictionary<string, string?>
{
    ["Moco:Host:BindAddress"] = "127.0.0.1",
    ["Moco:Host:GrpcPort"] = "0",
    ["Moco:Host:AdminPort"] = "0",
    ["Logging:LogLevel:Default"] = "Warning",
};
await using var sandbox = remoteSandbox
    ? await MocoHost.StartAsync(new SandboxModule(), configure: b => b.Configuration.AddInMemoryCollection(loopback))
    : null;
await using var host = await MocoHost.StartAsync(new EvaluatorModule(), configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(loopback)
{
    ["Moco:Evaluator:DataDirectories:0"] = dataDir,
    ["Moco:Evaluator:SandboxAddress"] = sandbox?.GrpcAddress.ToString(),
}));
using var channel = GrpcChannel.ForAddress(host.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 8 << 20 });
var client = new EvaluatorService.EvaluatorServiceClient(channel);

Console.WriteLine($"MoCo.NET evaluator throughput — {Environment.ProcessorCount} cores, {RuntimeInfo()}" +
    (sandbox is null ? "" : $", coding programs in the sandbox service at {sandbox.GrpcAddress}"));
Console.WriteLine($"{"task",-26}{"type",-22}{"split",-6}{"items",7}{"scored",8}{"mean",8}{"items/s",11}");
var listing = await client.ListTasksAsync(new ListTasksRequest { DataDirs = { dataDir } });
foreach (var dataset in listing.Datasets.Where(d => d.File.StartsWith(Path.GetFullPath(dataDir), StringComparison.Ordinal) && (only is null || only.Contains(d.Task))))
{
    foreach (var split in new[] { Split.Dev, Split.Test })
    {
        var type = dataset.DeclaredType;
        if (type is "general_verifier" or "reward_model" or "text_generation" or "generation_diversity")
        {
            Console.WriteLine($"{dataset.Task,-26}{type,-22}{Name(split),-6}{(split == Split.Dev ? dataset.NDev : dataset.NTest),7}   needs the inference service (judge/reward/encoder): not measured");
            continue;
        }
        var limit = type == "coding" ? codingItems : (int?)null;
        var load = new LoadDatasetRequest { Task = dataset.Task, Split = split, IncludeGold = true, Limit = limit };
        var items = await Calls.LoadAsync(client, load);
        var outputs = items.Select(i => new EvaluateOutput { Index = i.Index, Text = KnownOutputs.For(type, i) }).ToList();
        var header = new EvaluateHeader { Dataset = load, Sandbox = new SandboxLimits { MaxParallel = maxParallel } };
        await Calls.EvaluateAsync(client, header, outputs.Take(50));
        var clock = Stopwatch.StartNew();
        var summary = await Calls.EvaluateAsync(client, header, outputs);
        var rate = outputs.Count / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{dataset.Task,-26}{type,-22}{Name(split),-6}{outputs.Count,7}{summary.NScored,8}{summary.Mean ?? double.NaN,8:0.000}{rate,11:0}");
    }
}

var folder = Directory.CreateTempSubdirectory("moco-eval-bench-").FullName;
try
{
    const int n = 10_000;
    var path = SyntheticDataset.Write(folder, n);
    var header = new EvaluateHeader { Dataset = new LoadDatasetRequest { Task = path, Split = Split.Test } };
    await Calls.EvaluateAsync(client, header, Enumerable.Range(0, 100).Select(i => new EvaluateOutput { Text = SyntheticDataset.Output(i) }));
    GC.Collect();
    var before = GC.GetTotalMemory(forceFullCollection: true);
    var clock = Stopwatch.StartNew();
    var summary = await Calls.EvaluateAsync(client, header, Enumerable.Range(0, n).Select(i => new EvaluateOutput { Text = SyntheticDataset.Output(i) }));
    Console.WriteLine($"{"synthetic 10k (2 KB out)",-26}{"exact_match",-22}{"test",-6}{n,7}{summary.NScored,8}{summary.Mean ?? double.NaN,8:0.000}{n / clock.Elapsed.TotalSeconds,11:0}" +
        $"   peak working set {Process.GetCurrentProcess().PeakWorkingSet64 >> 20} MiB, managed heap before {before >> 20} MiB");
}
finally
{
    Directory.Delete(folder, recursive: true);
}
return 0;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
static string Name(Split split) => split == Split.Dev ? "dev" : "test";
static string RuntimeInfo() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
