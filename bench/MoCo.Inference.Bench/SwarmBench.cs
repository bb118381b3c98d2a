using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Inference.Bench;

/// <summary>
/// A model-swarm iteration (weight_model_swarms, methods-logit-weight.md §7) against the number of inference replicas
/// in the same run: each particle takes one fused PSO_STEP on its replica and its new position answers the dev prompts
/// there (greedy), all particles at once, particle i on replica i mod K — the spread the gateway gives run-time models
/// (each stays on the replica that merged it). Reports seconds per iteration per K and the speed-up over one replica.
/// </summary>
public static class SwarmBench
{
    public static async Task RunAsync(string root, string[] models, int[] replicaCounts, int prompts, int newTokens, int iterations)
    {
        Console.WriteLine();
        Console.WriteLine($"Model-swarm iteration: {models.Length} particles, one PSO_STEP each + {prompts} dev prompts × {newTokens} greedy tokens each; "
            + $"best of {iterations} iterations; {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"replicas",9}{"s/iteration",13}{"speed-up",10}");
        double? single = null;
        foreach (var k in replicaCounts)
        {
            var hosts = new List<RunningService>();
            try
            {
                for (var r = 0; r < k; r++)
                {
                    hosts.Add(await StartHostAsync(root, Path.Combine(root, $"runtime-{k}-{r}")));
                }
                var channels = hosts.Select(h => GrpcChannel.ForAddress(h.GrpcAddress)).ToList();
                var clients = channels.Select(c => new InferenceService.InferenceServiceClient(c)).ToList();
                var best = double.MaxValue;
                for (var t = 0; t <= iterations; t++)
                {
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(models.Select((_, i) => ParticleAsync(clients[i % k], models, i, $"swarm-{k}-{t}-{i}", prompts, newTokens)));
                    // Iteration 0 warms the replicas up (first loads).
                    if (t > 0)
                    {
                        best = Math.Min(best, clock.Elapsed.TotalSeconds);
                    }
                }
                single ??= best;
                Console.WriteLine($"{k,9}{best,13:F2}{single.Value / best,10:F2}");
                foreach (var channel in channels)
                {
                    channel.Dispose();
                }
            }
            finally
            {
                foreach (var host in hosts)
                {
                    await host.DisposeAsync();
                }
            }
        }
    }

    // One particle: x' = PSO step of its model toward the others, then x' answers the prompts.
    private static async Task ParticleAsync(InferenceService.InferenceServiceClient client, string[] models, int i, string id, int prompts, int newTokens)
    {
        var n = models.Length;
        var step = new MergeRequest
        {
            Method = MergeMethod.PsoStep,
            OutputId = id,
            Params = new MergeParams
            {
                PsoStep = new PsoStepParams
                {
                    X = models[i],
                    V = models[(i + 1) % n],
                    P = models[i],
                    G = models[0],
                    W = models[n - 1],
                    A = 0.2,
                    B = 0.3,
                    C = 0.4,
                    D = 0.1,
                    Step = 0.5,
                    VelocityOutputId = id + "-v",
                },
            },
        };
        await client.MergeAsync(step);
        await Task.WhenAll(Enumerable.Range(0, prompts).Select(async p =>
        {
            var random = new Random(p);
            var request = new GenerateRequest
            {
                Model = id,
                Prompt = new Prompt { Tokens = new TokenIds() },
                Sampling = new SamplingParams { DoSample = false, MaxNewTokens = newTokens },
                InputSettings = new InputSettings { Eos = EosStop.None },
            };
            request.Prompt.Tokens.Ids.Add(Enumerable.Range(0, 16).Select(_ => random.Next(256)));
            using var call = client.Generate(request);
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }));
    }

    private static Task<RunningService> StartHostAsync(string root, string runtime) => BenchHost.StartAsync(root, runtime, 4096);
}
