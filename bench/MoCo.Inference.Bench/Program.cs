using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Gateway;
using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using MoCo.Inference;
using MoCo.Inference.Bench;
using MoCo.Inference.Text;

// Inference throughput through a real inference host on loopback, on a random Llama written to a temp directory:
//   dotnet run -c Release --project bench/MoCo.Inference.Bench -- [--streams 1,8,32,128] [--new-tokens 32]
//     [--prompt-tokens 16] [--hidden 256] [--layers 4] [--vocab 4096] [--calls 2000]
// 1. total generated tokens/s with N concurrent greedy streams vs the same N requests one at a time;
// 2. Decode steps/s (full-vocab log-probs vs top-k) and GenerateEnsemble tokens/s with 2 and 3 members vs one model
//    (--decode-steps 128);
// 3. Merge GB/s (LINEAR, TASK_ARITHMETIC, TIES, DARE_TIES of two members);
// 4. per-call cost of a Tokenize in-process, over gRPC loopback, and over gRPC through the YARP gateway.
// 5. a model-swarm iteration (3 particles: PSO_STEP + dev prompts each) on 1 and 2 replicas (--swarm-replicas 1,2).
// --merge-only runs part 3 alone, best of --merge-repeats (3) calls per method (e.g. --merge-only --hidden 1024 --layers 8
// --vocab 32000 for a model where bytes dominate); --ensemble-only runs part 2 alone; --swarm-only part 5 alone
// (--swarm-prompts 8, --swarm-iterations 2, --new-tokens).
var streams = (Arg("--streams") ?? "1,8,32,128").Split(',').Select(int.Parse).ToArray();
var newTokens = Int("--new-tokens", 32);
var promptTokens = Int("--prompt-tokens", 16);
var calls = Int("--calls", 2000);
var decodeSteps = Int("--decode-steps", 128);
var mergeOnly = args.Contains("--merge-only");
var root = Directory.CreateTempSubdirectory("moco-inference-bench-").FullName;
try
{
    RandomLlama.Write(Path.Combine(root, "bench-llama"), Int("--vocab", 4096), Int("--hidden", 256), Int("--layers", 4), 8, 4, Int("--hidden", 256) * 2, 2048);
    var members = DecodeEnsembleBench.WriteMembers(root, "bench-llama");
    var swarmReplicas = (Arg("--swarm-replicas") ?? "1,2").Split(',').Select(int.Parse).ToArray();
    if (args.Contains("--swarm-only"))
    {
        await SwarmBench.RunAsync(root, members, swarmReplicas, Int("--swarm-prompts", 8), newTokens, Int("--swarm-iterations", 2));
        return;
    }
    // Merge registers each result as a resident model, KV cache and all: --merge-only keeps that cache small so the
    // merge itself, not zeroing a cache no stream uses, is what the figure measures.
    await using var host = await BenchHost.StartAsync(root, Path.Combine(root, "runtime"),
        mergeOnly ? 256 : (promptTokens + Math.Max(newTokens, decodeSteps) + 16) * streams.Max(), ("Moco:Inference:Preload:0", "bench-llama"));
    using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
    var client = new InferenceService.InferenceServiceClient(channel);
    if (args.Contains("--ensemble-only"))
    {
        await DecodeEnsembleBench.RunAsync(client, members, [.. Request(0).Prompt.Tokens.Ids], decodeSteps);
        return;
    }
    if (mergeOnly)
    {
        await MergeBench.RunAsync(client, root, members, Int("--merge-repeats", 3));
        return;
    }
    Console.WriteLine($"MoCo.NET inference throughput — {Environment.ProcessorCount} cores; random Llama, prompt {promptTokens}, {newTokens} new tokens per stream, greedy");
    await Generate(client, Request(0));

    Console.WriteLine($"{"streams",8}{"one at a time tok/s",22}{"concurrent tok/s",18}{"ratio",8}");
    foreach (var n in streams)
    {
        var requests = Enumerable.Range(0, n).Select(Request).ToList();
        var sequential = Stopwatch.StartNew();
        foreach (var request in requests)
        {
            await Generate(client, request);
        }
        var one = n * newTokens / sequential.Elapsed.TotalSeconds;
        var concurrent = Stopwatch.StartNew();
        await Task.WhenAll(requests.Select(r => Generate(client, r)));
        var all = n * newTokens / concurrent.Elapsed.TotalSeconds;
        Console.WriteLine($"{n,8}{one,22:F0}{all,18:F0}{all / one,8:F2}");
    }

    await DecodeEnsembleBench.RunAsync(client, members, [.. Request(0).Prompt.Tokens.Ids], decodeSteps);
    await MergeBench.RunAsync(client, root, members);

    var text = host.App.Services.GetRequiredService<TextCalls>();
    var tokenize = new TokenizeRequest { Model = "bench-llama", Inputs = { new Prompt { Text = "hello" } } };
    for (var i = 0; i < 200; i++)
    {
        await client.TokenizeAsync(tokenize);
        text.Tokenize(tokenize);
    }
    var grpc = Stopwatch.StartNew();
    for (var i = 0; i < calls; i++)
    {
        await client.TokenizeAsync(tokenize);
    }
    var grpcUs = grpc.Elapsed.TotalMicroseconds / calls;
    var local = Stopwatch.StartNew();
    for (var i = 0; i < calls; i++)
    {
        text.Tokenize(tokenize);
    }
    var localUs = local.Elapsed.TotalMicroseconds / calls;

    // The same calls through a YARP gateway in front of the host, as a cluster client reaches a replica.
    await using var gateway = await MocoHost.StartAsync(new GatewayModule([CommonReflection.Descriptor, InferenceReflection.Descriptor],
        GatewayOptions.ForServices([host])), configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Moco:Host:BindAddress"] = "127.0.0.1",
        ["Moco:Host:GrpcPort"] = "0",
        ["Moco:Host:AdminPort"] = "0",
        ["Logging:LogLevel:Default"] = "Warning",
    }));
    using var gatewayChannel = GrpcChannel.ForAddress(gateway.GrpcAddress);
    await WaitUntilServing(new Health.HealthClient(gatewayChannel), InferenceService.Descriptor.FullName);
    var viaGateway = new InferenceService.InferenceServiceClient(gatewayChannel);
    for (var i = 0; i < 200; i++)
    {
        await viaGateway.TokenizeAsync(tokenize);
    }
    var routed = Stopwatch.StartNew();
    for (var i = 0; i < calls; i++)
    {
        await viaGateway.TokenizeAsync(tokenize);
    }
    var gatewayUs = routed.Elapsed.TotalMicroseconds / calls;
    Console.WriteLine($"Tokenize per call: in-process {localUs:F1} us; gRPC loopback {grpcUs:F1} us ({grpcUs / localUs:F1}x, +{grpcUs - localUs:F1} us); "
        + $"gRPC through the gateway {gatewayUs:F1} us ({gatewayUs / localUs:F1}x, +{gatewayUs - localUs:F1} us; gateway hop {gatewayUs / grpcUs:F2}x direct gRPC)");
    await SwarmBench.RunAsync(root, members, swarmReplicas, Int("--swarm-prompts", 8), newTokens, Int("--swarm-iterations", 2));
}
finally
{
    Directory.Delete(root, recursive: true);
}

GenerateRequest Request(int i)
{
    var random = new Random(i);
    var request = new GenerateRequest
    {
        Model = "bench-llama",
        Prompt = new Prompt { Tokens = new TokenIds() },
        Sampling = new SamplingParams { DoSample = false, MaxNewTokens = newTokens },
        InputSettings = new InputSettings { Eos = EosStop.None },
    };
    request.Prompt.Tokens.Ids.Add(Enumerable.Range(0, promptTokens).Select(_ => random.Next(256)));
    return request;
}

static async Task Generate(InferenceService.InferenceServiceClient client, GenerateRequest request)
{
    using var call = client.Generate(request);
    await foreach (var _ in call.ResponseStream.ReadAllAsync())
    {
    }
}

// The gateway routes a service once its health probe of the replica has answered SERVING.
static async Task WaitUntilServing(Health.HealthClient health, string service)
{
    using var watch = health.Watch(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(30));
    await foreach (var status in watch.ResponseStream.ReadAllAsync())
    {
        if (status.Status == HealthCheckResponse.Types.ServingStatus.Serving)
        {
            return;
        }
    }
    throw new InvalidOperationException($"the gateway never reported {service} SERVING");
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

int Int(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
