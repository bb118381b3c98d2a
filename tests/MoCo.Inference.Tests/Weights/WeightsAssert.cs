using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Tests.Serving;
using MoCo.Testing.Inference;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;

namespace MoCo.Inference.Tests.Weights;

/// <summary>What the weights tests check of a model written or merged at run time.</summary>
public static class WeightsAssert
{
    /// <summary>The greedy continuation of <paramref name="prompt"/> by <paramref name="model"/> equals <paramref name="reference"/>'s.</summary>
    public static async Task GeneratesAs(InferenceService.InferenceServiceClient client, string model, string reference, string prompt, int tokens)
    {
        var ids = GoldenModels.Ids(prompt);
        var expected = await Generation.RunAsync(client, ServingRequests.Generate(reference, ids, tokens));
        var actual = await Generation.RunAsync(client, ServingRequests.Generate(model, ids, tokens));
        Assert.Equal(Assert.Single(expected.Finals).TokenIds, Assert.Single(actual.Finals).TokenIds);
    }

    /// <summary><paramref name="model"/> is registered and loadable: it generates <paramref name="tokens"/> tokens.</summary>
    public static async Task Generates(InferenceService.InferenceServiceClient client, string model, int tokens)
    {
        var generation = await Generation.RunAsync(client, ServingRequests.Generate(model, GoldenModels.Ids("Hi"), tokens));
        Assert.Equal(tokens, Assert.Single(generation.Finals).TokenIds.Count);
    }

    /// <summary>No model is registered under <paramref name="id"/>.</summary>
    public static async Task NotRegistered(InferenceService.InferenceServiceClient client, string id)
    {
        var lookup = await Assert.ThrowsAsync<RpcException>(() => client.ModelInfoAsync(new ModelInfoRequest { Model = id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, lookup.StatusCode);
    }
}
