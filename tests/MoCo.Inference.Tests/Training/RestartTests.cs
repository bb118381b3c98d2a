using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Tests.Serving;
using MoCo.Testing.Inference;
using ServingRequests = MoCo.Inference.Tests.Serving.Requests;

namespace MoCo.Inference.Tests.Training;

/// <summary>A trained model outlives the service process when its id is content-addressed (`trained-{call key}`, as the
/// orchestrator names every job): a restarted service over the same trained-models folder serves it without training,
/// so a resumed run does not train a finished job again; other ids end with their process.</summary>
[Collection(TrainCollection.Name)]
public sealed class RestartTests(TrainHost host)
{
    [Fact]
    public async Task A_restarted_service_serves_a_content_addressed_trained_model_and_forgets_other_ids()
    {
        var keyed = "trained-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(nameof(RestartTests))));
        var examples = TrainMessages.Pairs.Select(p => TrainMessages.Sft(p.Prompt, p.Completion)).ToList();
        Assert.NotNull((await host.RunAsync(TrainMessages.Overfit(keyed), examples))[^1].Done);
        Assert.NotNull((await host.RunAsync(TrainMessages.Overfit("restart-plain", epochs: 2), examples))[^1].Done);
        // Only whole models are in the folder: no staging folder is left behind.
        Assert.DoesNotContain(Directory.GetDirectories(host.Trained), d => Path.GetFileName(d).StartsWith(".staging-", StringComparison.Ordinal));

        await using var restarted = await InferenceHost.StartAsync(host.Models.Root, ("Moco:Inference:TrainedModelsDirectory", host.Trained));
        var info = await restarted.Client.ModelInfoAsync(new ModelInfoRequest { Model = keyed });
        Assert.Equal((keyed, ModelOrigin.Runtime), (info.Summary.Id, info.Summary.Origin));
        foreach (var (prompt, completion) in TrainMessages.Pairs)
        {
            var generation = await Generation.RunAsync(restarted.Client, ServingRequests.Generate(keyed, GoldenModels.Ids(prompt), completion.Length));
            Assert.Equal(Encoding.UTF8.GetBytes(completion).Select(b => (int)b), Assert.Single(generation.Finals).TokenIds);
        }

        foreach (var missing in new[] { "restart-plain", "trained-" + new string('0', 64) })
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await restarted.Client.ModelInfoAsync(new ModelInfoRequest { Model = missing }));
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
        }
    }
}
