using Grpc.Net.Client;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Testing;

namespace MoCo.IntegrationTests;

/// <summary>Whether an evaluator host reaches inference at an address: ListTasks asks inference for the default
/// verifier, so general_verifier's reason says what came back ("not in the inference catalogue" when the call got
/// through, the transport's or gateway's error when it did not).</summary>
internal static class VerifierProbe
{
    public static async Task<string> ReasonAsync(string inferenceAddress, params (string Key, string? Value)[] extra)
    {
        await using var evaluator = await LoopbackHost.StartAsync(ServiceCatalog.Create("evaluator"), [("Moco:Evaluator:InferenceAddress", inferenceAddress), .. extra]);
        using var channel = GrpcChannel.ForAddress(evaluator.GrpcAddress);
        var tasks = await new EvaluatorService.EvaluatorServiceClient(channel).ListTasksAsync(new ListTasksRequest());
        return tasks.TaskTypes.Single(t => t.Name == "general_verifier").UnavailableReason;
    }
}
