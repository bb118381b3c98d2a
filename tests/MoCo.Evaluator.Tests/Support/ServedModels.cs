using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Testing;
using MoCo.Testing.Inference;

namespace MoCo.Evaluator.Tests.Support;

/// <summary>
/// The real inference service serving the tiny golden models in-process (<see cref="InferenceHost"/>), and a real
/// evaluator host pointed at it through Moco:Evaluator:InferenceAddress: judge and reward calls go over gRPC to a
/// model that runs. The models declare a 4096-token context so real judge prompts fit; the KV cache holds a few
/// judge prompts with their 1024 new tokens at once.
/// </summary>
public sealed class ServedModels : IAsyncLifetime
{
    private GrpcChannel _channel = null!;

    public GoldenModels Models { get; } = new(contextTokens: 4096);
    public InferenceHost Inference { get; private set; } = null!;
    public RunningService Evaluator { get; private set; } = null!;
    public EvaluatorService.EvaluatorServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Inference = await StartInferenceAsync(Models);
        Evaluator = await StartEvaluatorAsync(Inference.Address);
        _channel = GrpcChannel.ForAddress(Evaluator.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 8 << 20 });
        Client = new EvaluatorService.EvaluatorServiceClient(_channel);
    }

    /// <summary>An inference host over <paramref name="models"/> sized for judge prompts.</summary>
    public static Task<InferenceHost> StartInferenceAsync(GoldenModels models) =>
        InferenceHost.StartAsync(models.Root, ("Moco:Inference:KvCacheTokens", "16384"));

    /// <summary>An evaluator host over the shared datasets whose judges run on <paramref name="inferenceAddress"/>.</summary>
    public static Task<RunningService> StartEvaluatorAsync(string inferenceAddress) =>
        LoopbackHost.StartAsync(new EvaluatorModule(), ("Moco:Evaluator:DataDirectories:0", TestData.Directory),
            ("Moco:Evaluator:InferenceAddress", inferenceAddress), ("Moco:Evaluator:JudgeParallelism", "4"));

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await Evaluator.DisposeAsync();
        await Inference.DisposeAsync();
        Models.Dispose();
    }
}
