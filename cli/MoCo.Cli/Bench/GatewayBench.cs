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
    // Tokenize calls per round: one is microseconds, so rounds batch them.
    private const int Calls = 100;

    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/>.</summary>
    public static async Task<BenchSuiteResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        log.WriteLine("gateway: starting inference and the gateway");
        await using var cluster = await BenchCluster.StartAsync(options, gateway: true, cancel).ConfigureAwait(false);
        var direct = cluster.Direct;
        var routed = cluster.ViaGateway;
        var text = cluster.Inference.App.Services.GetRequiredService<TextCalls>();
        var tokenize = new TokenizeRequest { Model = BenchCluster.First, Inputs = { new Prompt { Text = "The quick brown fox jumps over the lazy dog." } } };

        var generate = new GenerateRequest
        {
            Model = BenchCluster.First,
            Prompt = new Prompt { Tokens = new TokenIds { Ids = { Enumerable.Range(0, options.PromptTokens).Select(i => 32 + i % 64) } } },
            Sampling = new SamplingParams { DoSample = false, MaxNewTokens = options.NewTokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
        };
        log.WriteLine("gateway: Tokenize and Generate in-process, over gRPC and through the gateway, interleaved");
        var rates = await Measure.BestOfEachAsync(options.Repeats,
            () => Measure.SustainedAsync(() => RoundAsync(Calls, () =>
            {
                text.Tokenize(tokenize);
                return Task.CompletedTask;
            })),
            () => Measure.SustainedAsync(() => RoundAsync(Calls, () => direct.TokenizeAsync(tokenize, cancellationToken: cancel).ResponseAsync)),
            () => Measure.SustainedAsync(() => RoundAsync(Calls, () => routed.TokenizeAsync(tokenize, cancellationToken: cancel).ResponseAsync)),
            () => Measure.SustainedAsync(() => RoundAsync(1, () => BenchCluster.GenerateAsync(direct, generate, cancel))),
            () => Measure.SustainedAsync(() => RoundAsync(1, () => BenchCluster.GenerateAsync(routed, generate, cancel)))).ConfigureAwait(false);
        var (local, grpc, gateway, generateDirect, generateRouted) = (rates[0], rates[1], rates[2], rates[3], rates[4]);

        var rows = new List<BenchRow>
        {
            new("Tokenize, in-process", local, "calls/s", null, 0, Latency(local)),
            new("Tokenize, gRPC loopback", grpc, "calls/s", "Tokenize, in-process", local, Latency(grpc)),
            new("Tokenize, through the gateway", gateway, "calls/s", "Tokenize, gRPC loopback", grpc, Latency(gateway)),
            new($"Generate {options.NewTokens} tokens, gRPC loopback", generateDirect, "calls/s", null, 0, Latency(generateDirect)),
            new($"Generate {options.NewTokens} tokens, through the gateway", generateRouted, "calls/s", $"Generate {options.NewTokens} tokens, gRPC loopback", generateDirect, Latency(generateRouted)),
        };
        var setup = $"{options.Model.Name} on {options.Device}; one caller, sequential calls for at least {Measure.MinimumSeconds} s per timing "
            + $"(Generate: prompt {options.PromptTokens} tokens, greedy); best of {options.Repeats}";
        return new BenchSuiteResult("gateway", setup, rows);
    }

    private static string Latency(double callsPerSecond) => $"{1e6 / callsPerSecond:F0} us per call";

    private static async Task<(double Calls, double Seconds)> RoundAsync(int calls, Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await call().ConfigureAwait(false);
        }
        return (calls, clock.Elapsed.TotalSeconds);
    }
}
