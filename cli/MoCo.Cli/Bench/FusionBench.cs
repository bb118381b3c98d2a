using System.Diagnostics;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Methods.Primitives.Grpc;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench fusion`: logit fusion as the logit-level methods run it — GenerateEnsemble of two resident models on
/// one inference replica, each step both forwards and the fused draw — against one model's Generate of the same
/// prompt and length, both through the in-process inference service. Two forwards per token bound the ratio near
/// 0.5 for equal models; what falls short of that is the fusion's own cost. Then the orchestrator's two ways of
/// fusing one chat prompt: GenerateEnsemble, and the fusion over one Decode stream per member that runs when the
/// members live on different replicas (an embedded run over several GPUs); the same tokens either way, so the ratio
/// is the cost of a round trip per member and token.
/// </summary>
public static class FusionBench
{
    /// <summary>Runs the suite on <see cref="BenchOptions.Model"/> and <see cref="BenchOptions.Partner"/>.</summary>
    public static async Task<BenchSuiteResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        log.WriteLine("fusion: starting the inference service");
        await using var cluster = await BenchCluster.StartAsync(options, gateway: false, cancel).ConfigureAwait(false);
        var client = cluster.Direct;
        var prompt = Enumerable.Range(0, options.PromptTokens).Select(i => 32 + i % 64).ToArray();

        log.WriteLine("fusion: each model alone and the two fused, interleaved");
        var rates = await Measure.BestOfEachAsync(options.Repeats,
            () => Measure.SustainedAsync(() => GenerateAsync(client, BenchCluster.First, prompt, options.NewTokens, cancel)),
            () => Measure.SustainedAsync(() => GenerateAsync(client, BenchCluster.Second, prompt, options.NewTokens, cancel)),
            () => Measure.SustainedAsync(() => EnsembleAsync(client, prompt, options.NewTokens, cancel))).ConfigureAwait(false);
        var (first, second, fused) = (rates[0], rates[1], rates[2]);

        log.WriteLine("fusion: one chat prompt fused by GenerateEnsemble and over Decode streams, interleaved");
        var call = new EnsembleCall(new EnsembleSpec([BenchCluster.First, BenchCluster.Second], EnsembleKind.Fuse), ChatPrompt, "", 1, options.NewTokens,
            0.7, 1, "bench");
        IEnsembleBackend[] backends = [new GrpcGenerationBackend(client), new DecodeEnsembleBackend(client)];
        var ways = await Measure.BestOfEachAsync(options.Repeats,
            [.. backends.Select(b => (Func<Task<double>>)(() => Measure.SustainedAsync(() => FuseAsync(b, call, cancel))))]).ConfigureAwait(false);
        var rows = new List<BenchRow>
        {
            new($"generate, {options.Model.Name}", first, "tokens/s", null, 0),
            new($"generate, {options.Partner.Name}", second, "tokens/s", "generate, first model", first),
            new("generate, 2 models fused (GenerateEnsemble)", fused, "tokens/s", "generate, first model", first,
                "two forwards per token: about 0.5 for models of one size is the most to expect"),
            new("fused chat prompt, GenerateEnsemble", ways[0], "tokens/s", null, 0, "per call: prompt rendering and prefill included"),
            new("fused chat prompt, over Decode streams", ways[1], "tokens/s", "fused chat prompt, GenerateEnsemble", ways[0],
                "what members on different replicas cost: a stream round trip per member and token"),
        };
        var setup = $"{options.Model.Name} + {options.Partner.Name} on {options.Device} through the in-process inference service; "
            + $"prompt {prompt.Length} tokens, {options.NewTokens} new tokens, temperature 0.7, seed 1; best of {options.Repeats}";
        return new BenchSuiteResult("fusion", setup, rows);
    }

    // A prompt as a task would give it: the chat template and the models' EOS decide where a sample ends.
    private const string ChatPrompt = "What is 12 + 7? Answer in one sentence.";

    private static async Task<(double Tokens, double Seconds)> FuseAsync(IEnsembleBackend backend, EnsembleCall call, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var samples = await backend.GenerateEnsembleAsync(call, cancel).ConfigureAwait(false);
        return (samples.Sum(s => s.Usage.CompletionTokens), clock.Elapsed.TotalSeconds);
    }

    private static async Task<(double Tokens, double Seconds)> GenerateAsync(InferenceService.InferenceServiceClient client, string model, int[] prompt, int tokens, CancellationToken cancel)
    {
        var request = new GenerateRequest
        {
            Model = model,
            Prompt = new Prompt { Tokens = new TokenIds { Ids = { prompt } } },
            Sampling = new SamplingParams { DoSample = true, Temperature = 0.7f, MaxNewTokens = tokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
            Seed = 1,
        };
        var clock = Stopwatch.StartNew();
        var generated = await BenchCluster.GenerateAsync(client, request, cancel).ConfigureAwait(false);
        return (generated, clock.Elapsed.TotalSeconds);
    }

    private static async Task<(double Tokens, double Seconds)> EnsembleAsync(InferenceService.InferenceServiceClient client, int[] prompt, int tokens, CancellationToken cancel)
    {
        var request = new GenerateEnsembleRequest
        {
            Prompt = new Prompt { Tokens = new TokenIds { Ids = { prompt } } },
            Sampling = new SamplingParams { Temperature = 0.7f, MaxNewTokens = tokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
            Seed = 1,
            Members = { new EnsembleMember { Model = BenchCluster.First }, new EnsembleMember { Model = BenchCluster.Second } },
        };
        var clock = Stopwatch.StartNew();
        using var call = client.GenerateEnsemble(request, cancellationToken: cancel);
        var generated = 0;
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancel).ConfigureAwait(false))
        {
            generated += message.Delta?.TokenIds.Count ?? 0;
        }
        return (generated, clock.Elapsed.TotalSeconds);
    }
}
