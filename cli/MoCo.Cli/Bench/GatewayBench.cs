using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Inference.Text;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench gateway`: what each hop costs a caller. The same Tokenize calls in-process (the service's own code,
/// no RPC), over gRPC on loopback, and through the YARP gateway in front of the replica, as a cluster client reaches
/// it; and a short Generate directly and through the gateway. Calls are sequential, so the figures are per-call
/// latency expressed as calls per second.
/// </summary>
public static class GatewayBench
{
    private const int Calls = 500;

    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/>.</summary>
    public static async Task<BenchSuiteResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        log.WriteLine("gateway: starting inference and the gateway");
        await using var cluster = await BenchCluster.StartAsync(options, gateway: true, cancel).ConfigureAwait(false);
        var direct = cluster.Direct;
        var routed = cluster.ViaGateway;
        var text = cluster.Inference.App.Services.GetRequiredService<TextCalls>();
        var tokenize = new TokenizeRequest { Model = BenchCluster.First, Inputs = { new Prompt { Text = "The quick brown fox jumps over the lazy dog." } } };

        log.WriteLine("gateway: Tokenize");
        var local = Measure.Best(options.Repeats, () => Rate(Calls, () => text.Tokenize(tokenize)));
        var grpc = await Measure.BestAsync(options.Repeats, () => RateAsync(Calls, () => direct.TokenizeAsync(tokenize, cancellationToken: cancel).ResponseAsync)).ConfigureAwait(false);
        var gateway = await Measure.BestAsync(options.Repeats, () => RateAsync(Calls, () => routed.TokenizeAsync(tokenize, cancellationToken: cancel).ResponseAsync)).ConfigureAwait(false);

        log.WriteLine("gateway: Generate");
        var generate = new GenerateRequest
        {
            Model = BenchCluster.First,
            Prompt = new Prompt { Tokens = new TokenIds { Ids = { Enumerable.Range(0, options.PromptTokens).Select(i => 32 + i % 64) } } },
            Sampling = new SamplingParams { DoSample = false, MaxNewTokens = options.NewTokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
        };
        var generateCalls = Math.Max(1, Calls / Math.Max(1, options.NewTokens));
        var generateDirect = await Measure.BestAsync(options.Repeats, () => RateAsync(generateCalls, () => BenchCluster.GenerateAsync(direct, generate, cancel))).ConfigureAwait(false);
        var generateRouted = await Measure.BestAsync(options.Repeats, () => RateAsync(generateCalls, () => BenchCluster.GenerateAsync(routed, generate, cancel))).ConfigureAwait(false);

        var rows = new List<BenchRow>
        {
            new("Tokenize, in-process", local, "calls/s", null, 0, Latency(local)),
            new("Tokenize, gRPC loopback", grpc, "calls/s", "Tokenize, in-process", local, Latency(grpc)),
            new("Tokenize, through the gateway", gateway, "calls/s", "Tokenize, gRPC loopback", grpc, Latency(gateway)),
            new($"Generate {options.NewTokens} tokens, gRPC loopback", generateDirect, "calls/s", null, 0, Latency(generateDirect)),
            new($"Generate {options.NewTokens} tokens, through the gateway", generateRouted, "calls/s", $"Generate {options.NewTokens} tokens, gRPC loopback", generateDirect, Latency(generateRouted)),
        };
        var setup = $"{options.Model.Name} on {options.Device}; one caller, sequential calls ({Calls} Tokenize, {generateCalls} Generate per timing, "
            + $"prompt {options.PromptTokens} tokens, greedy); best of {options.Repeats}";
        return new BenchSuiteResult("gateway", setup, rows);
    }

    private static string Latency(double callsPerSecond) => $"{1e6 / callsPerSecond:F0} us per call";

    private static double Rate(int calls, Action call)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            call();
        }
        return calls / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> RateAsync(int calls, Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await call().ConfigureAwait(false);
        }
        return calls / clock.Elapsed.TotalSeconds;
    }
}
