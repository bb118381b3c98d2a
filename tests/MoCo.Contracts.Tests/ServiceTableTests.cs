using Google.Protobuf.Reflection;

namespace MoCo.Contracts.Tests;

/// <summary>The services and RPCs are exactly those of the table in contracts.md §1.</summary>
public sealed class ServiceTableTests
{
    private enum Kind { Unary, ServerStreaming, ClientStreaming, Bidirectional }

    // contracts.md §1: service → RPCs by streaming kind.
    private static readonly Dictionary<string, (string Rpc, Kind Kind)[]> Table = new(StringComparer.Ordinal)
    {
        ["moco.v1.InferenceService"] =
        [
            ("ListModels", Kind.Unary), ("LoadModel", Kind.Unary), ("UnloadModel", Kind.Unary),
            ("ModelInfo", Kind.Unary), ("Tokenize", Kind.Unary), ("Detokenize", Kind.Unary),
            ("Score", Kind.Unary), ("Embed", Kind.Unary), ("Merge", Kind.Unary),
            ("Generate", Kind.ServerStreaming), ("GenerateEnsemble", Kind.ServerStreaming),
            ("ReadWeights", Kind.ServerStreaming),
            ("WriteModel", Kind.ClientStreaming),
            ("Decode", Kind.Bidirectional), ("Train", Kind.Bidirectional),
        ],
        ["moco.v1.RouterService"] =
        [
            ("Route", Kind.Unary), ("ListRouters", Kind.Unary),
            ("Complete", Kind.ServerStreaming), ("TrainRouter", Kind.ServerStreaming),
        ],
        ["moco.v1.EvaluatorService"] =
        [
            ("ListTasks", Kind.Unary), ("LoadDataset", Kind.ServerStreaming), ("Evaluate", Kind.Bidirectional),
        ],
        ["moco.v1.OrchestratorService"] =
        [
            ("GetRun", Kind.Unary), ("ListRuns", Kind.Unary), ("CancelRun", Kind.Unary),
            ("StartRun", Kind.ServerStreaming), ("ResumeRun", Kind.ServerStreaming), ("WatchRun", Kind.ServerStreaming),
        ],
        // Not in contracts.md §1's table: the code sandbox's own service (evaluation.md §4.2), called by the evaluator only.
        ["moco.v1.SandboxService"] =
        [
            ("PrepareSandbox", Kind.Unary), ("RunProgram", Kind.Unary),
        ],
    };

    private static IEnumerable<ServiceDescriptor> Services => Contracts.Files.SelectMany(f => f.Services);

    [Fact]
    public void ExactlyTheTableServicesExist()
    {
        Assert.Equal(Table.Keys.Order(StringComparer.Ordinal), Services.Select(s => s.FullName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ServicesLiveInTheirOwnFiles()
    {
        Assert.Equal("moco/v1/inference.proto", ServiceFile("moco.v1.InferenceService"));
        Assert.Equal("moco/v1/router.proto", ServiceFile("moco.v1.RouterService"));
        Assert.Equal("moco/v1/evaluator.proto", ServiceFile("moco.v1.EvaluatorService"));
        Assert.Equal("moco/v1/orchestrator.proto", ServiceFile("moco.v1.OrchestratorService"));
        Assert.Equal("moco/v1/sandbox.proto", ServiceFile("moco.v1.SandboxService"));
        Assert.Empty(Contracts.Files.Single(f => f.Name == "moco/v1/common.proto").Services);
    }

    [Theory]
    [InlineData("moco.v1.InferenceService")]
    [InlineData("moco.v1.RouterService")]
    [InlineData("moco.v1.EvaluatorService")]
    [InlineData("moco.v1.OrchestratorService")]
    [InlineData("moco.v1.SandboxService")]
    public void EveryServiceHasExactlyTheTableRpcsAndStreamingKinds(string serviceName)
    {
        var service = Services.Single(s => s.FullName == serviceName);
        var expected = Table[serviceName].Select(r => $"{r.Rpc} {r.Kind}").Order(StringComparer.Ordinal);
        var actual = service.Methods.Select(m => $"{m.Name} {KindOf(m)}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EveryRpcTakesXRequestAndReturnsXResponse()
    {
        foreach (var method in Services.SelectMany(s => s.Methods))
        {
            Assert.Equal($"moco.v1.{method.Name}Request", method.InputType.FullName);
            Assert.Equal($"moco.v1.{method.Name}Response", method.OutputType.FullName);
        }
    }

    [Fact]
    public void NoTwoRpcsShareARequestOrResponseType()
    {
        var methods = Services.SelectMany(s => s.Methods).ToList();
        Assert.Equal(methods.Count, methods.Select(m => m.InputType.FullName).Distinct().Count());
        Assert.Equal(methods.Count, methods.Select(m => m.OutputType.FullName).Distinct().Count());
    }

    private static string ServiceFile(string serviceName) => Services.Single(s => s.FullName == serviceName).File.Name;

    private static Kind KindOf(MethodDescriptor method) => (method.IsClientStreaming, method.IsServerStreaming) switch
    {
        (false, false) => Kind.Unary,
        (false, true) => Kind.ServerStreaming,
        (true, false) => Kind.ClientStreaming,
        (true, true) => Kind.Bidirectional,
    };
}
