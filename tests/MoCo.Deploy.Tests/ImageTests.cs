using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Testing;

namespace MoCo.Deploy.Tests;

/// <summary>
/// The image scripts/moco-image.sh builds (moco:&lt;appVersion&gt;; no registry is reachable, so nothing is pulled),
/// run in Docker as the chart runs it: its arguments and environment are the rendered chart's. Without Docker or the
/// image the tests fail saying how to build it.
/// </summary>
public sealed class ImageTests
{
    private static async Task<IContainer> StartAsync(Dictionary<object, object> workload)
    {
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        var container = Manifests.Container(workload);
        var image = (string)container["image"];
        var env = Manifests.Env(workload);
        var (grpc, admin) = (int.Parse(env["Moco__Host__GrpcPort"]), int.Parse(env["Moco__Host__AdminPort"]));
        try
        {
            await DockerApi.UseDaemonVersionAsync();
            var started = new ContainerBuilder(image)
                .WithImagePullPolicy(_ => false)
                .WithCommand([.. ((List<object>)container["args"]).Cast<string>()])
                .WithEnvironment(env)
                .WithPortBinding(grpc, assignRandomHostPort: true)
                .WithPortBinding(admin, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort((ushort)admin).ForPath("/readyz")))
                .Build();
            await started.StartAsync();
            return started;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"the image {image} did not start in Docker ({e.Message}): build it with `bash scripts/moco-image.sh` " +
                "(needs root and the native build), as scripts/test does", e);
        }
    }

    [Fact]
    public async Task The_image_serves_an_inference_replica_as_the_chart_configures_it_with_the_bundled_zoo()
    {
        var chart = Chart.Render("inference: {groups: [{name: default, replicas: 1, maxReplicas: 1, gpus: 0}]}");
        var workload = chart.Get("StatefulSet", "t-moco-inference-default");
        var env = Manifests.Env(workload);
        Assert.Equal("cpu", env["Moco__Inference__Device"]);

        await using var container = await StartAsync(workload);
        using var channel = GrpcChannel.ForAddress($"http://{container.Hostname}:{container.GetMappedPublicPort(int.Parse(env["Moco__Host__GrpcPort"]))}");

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = InferenceService.Descriptor.FullName });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        // The zoo models ship in the image beside the CLI: a replica on CPU generates with one exactly the tokens the
        // in-process service generates from the repository's copy.
        var inImage = new InferenceService.InferenceServiceClient(channel);
        Assert.Equal("cpu", (await inImage.ModelInfoAsync(new ModelInfoRequest { Model = "zoo/north" })).Summary.Device);
        await using var local = await MoCo.Testing.Inference.InferenceHost.StartAsync(Path.Combine(Chart.Root, "models"));
        Assert.Equal(await GreedyAsync(local.Client), await GreedyAsync(inImage));
    }

    private static async Task<List<int>> GreedyAsync(InferenceService.InferenceServiceClient client)
    {
        var chat = new ChatPrompt();
        chat.Messages.Add(new ChatMessage { Role = "user", Content = "In Norland, which town is Aren Frost from?" });
        using var call = client.Generate(new GenerateRequest
        {
            Model = "zoo/north",
            Prompt = new Prompt { Chat = chat },
            Sampling = new SamplingParams { Temperature = 0, MaxNewTokens = 8 },
            N = 1,
        });
        var final = (await call.ResponseStream.ReadAllAsync().ToListAsync()).Single(m => m.PayloadCase == GenerateResponse.PayloadOneofCase.Final).Final;
        Assert.NotEmpty(final.TokenIds);
        return [.. final.TokenIds];
    }
}
