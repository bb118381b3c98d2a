using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
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
    private static async Task<IContainer> StartAsync(Dictionary<object, object> workload, (string Host, string Container)? bind = null)
    {
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        var container = Manifests.Container(workload);
        var image = (string)container["image"];
        var env = Manifests.Env(workload);
        var (grpc, admin) = (int.Parse(env["Moco__Host__GrpcPort"]), int.Parse(env["Moco__Host__AdminPort"]));
        try
        {
            await DockerApi.UseDaemonVersionAsync();
            var builder = new ContainerBuilder(image).WithImagePullPolicy(_ => false);
            // The capabilities the chart adds to the container, as Kubernetes would grant them.
            List<string> capabilities = container.TryGetValue("securityContext", out var security) && security is not null
                ? [.. ((List<object>)Node.At(security, "capabilities", "add")).Cast<string>()]
                : [];
            if (capabilities.Count > 0)
            {
                builder = builder.WithCreateParameterModifier(p => (p.HostConfig ??= new Docker.DotNet.Models.HostConfig()).CapAdd = capabilities);
            }
            if (bind is var (host, inContainer))
            {
                builder = builder.WithBindMount(host, inContainer, AccessMode.ReadOnly);
            }
            var started = builder
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

    // evaluation.md §6 "Coding": a correct and a wrong add(a, b) against the item's tests. The image carries Python for
    // the sandbox, and the chart gives the container what the namespace sandbox needs (no weak isolation is allowed).
    private const string CodingTask = """
        {"task_type": "coding", "test": [
          {"input": "Complete the code.\n\ndef add(a, b):\n", "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n", "language": "python"},
          {"input": "Complete the code.\n\ndef add(a, b):\n", "test": "def check(candidate):\n    assert candidate(2, 2) == 4\n", "language": "python"}]}
        """;

    [Fact]
    public async Task The_image_scores_code_in_its_sandbox_as_the_chart_configures_the_evaluator_on_a_data_claim()
    {
        var chart = Chart.Render("data: {existingClaim: moco-data}");
        var workload = chart.Get("Deployment", "t-moco-evaluator");
        var env = Manifests.Env(workload);
        var data = Directory.CreateTempSubdirectory("moco-image-data-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(data.FullName, "tiny_code.json"), CodingTask);
            if (!OperatingSystem.IsWindows())
            {
                // Every user may read it: the container's user need not be this one.
                data.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            }
            await using var container = await StartAsync(workload, (data.FullName, env["Moco__Evaluator__DataDirectories__0"]));
            using var channel = GrpcChannel.ForAddress($"http://{container.Hostname}:{container.GetMappedPublicPort(int.Parse(env["Moco__Host__GrpcPort"]))}");
            var evaluator = new EvaluatorService.EvaluatorServiceClient(channel);

            using (var load = evaluator.LoadDataset(new LoadDatasetRequest { Task = "tiny_code", Split = Split.Test }))
            {
                var info = (await load.ResponseStream.ReadAllAsync().FirstAsync()).Info;
                Assert.Equal(("coding", 2), (info.EffectiveType, info.NItems));
                Assert.True(info.Requirements.Sandbox);
            }
            using var call = evaluator.Evaluate();
            await call.RequestStream.WriteAsync(new EvaluateRequest
            {
                Header = new EvaluateHeader { Dataset = new LoadDatasetRequest { Task = "tiny_code", Split = Split.Test } },
            });
            await call.RequestStream.WriteAsync(new EvaluateRequest
            {
                Outputs = new EvaluateOutputs
                {
                    Outputs =
                    {
                        new EvaluateOutput { Index = 0, Text = "```python\ndef add(a, b):\n    return a + b\n```" },
                        new EvaluateOutput { Index = 1, Text = "```python\ndef add(a, b):\n    return a * b + 1\n```" },
                    },
                },
            });
            await call.RequestStream.CompleteAsync();
            var results = (await call.ResponseStream.ReadAllAsync().ToListAsync())
                .Where(m => m.PayloadCase == EvaluateResponse.PayloadOneofCase.Result).Select(m => m.Result).OrderBy(r => r.Index).ToList();
            double[] scores = [.. results.Select(r => r.Score ?? double.NaN)];
            Assert.True(scores.SequenceEqual([1.0, 0.0]), string.Join("\n", results));
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_image_runs_programs_as_the_chart_configures_the_sandbox_pod_which_is_itself_the_boundary()
    {
        var chart = Chart.Render("sandbox: {enabled: true}");
        var workload = chart.Get("Deployment", "t-moco-sandbox");
        var env = Manifests.Env(workload);

        // No capability, as the chart runs it: no namespaces here, so the pod's own boundary is the isolation.
        await using var container = await StartAsync(workload);
        using var channel = GrpcChannel.ForAddress($"http://{container.Hostname}:{container.GetMappedPublicPort(int.Parse(env["Moco__Host__GrpcPort"]))}");
        var sandbox = new SandboxService.SandboxServiceClient(channel);
        var prepared = await sandbox.PrepareSandboxAsync(new PrepareSandboxRequest());
        Assert.Equal(SandboxIsolation.Pod, prepared.Isolation);
        Assert.StartsWith("/usr/bin/python3", prepared.Python);

        // The program runs as an unprivileged uid under the call's rlimits, in a folder under the emptyDir's /tmp.
        const string program = "import os, resource\nprint(os.getuid(), resource.getrlimit(resource.RLIMIT_NPROC)[0], os.getcwd())\n";
        var run = await sandbox.RunProgramAsync(new RunProgramRequest { Program = program, Limits = new SandboxLimits { MaxProcs = 3 } });
        Assert.True(run.Failure.Length == 0 && run.ExitCode == 0, run.Failure + run.StderrTail);
        var words = run.StdoutTail.Split(' ', StringSplitOptions.TrimEntries);
        Assert.NotEqual("0", words[0]);
        Assert.Equal("3", words[1]);
        Assert.StartsWith("/tmp/eval_sandbox_", words[2]);
        Assert.Equal(SandboxIsolation.Pod, run.Isolation);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_images_sandbox_with_auth_runs_programs_only_for_its_token_which_they_cannot_read()
    {
        var chart = Chart.Render("sandbox: {enabled: true, auth: {existingSecret: moco-sandbox-auth}}");
        var workload = chart.Get("Deployment", "t-moco-sandbox");
        var env = Manifests.Env(workload);
        var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        // The Secret volume as Kubernetes mounts it with the chart's defaultMode 0400: a readable folder, a root-only file.
        var secret = Directory.CreateTempSubdirectory("moco-sandbox-secret-");
        try
        {
            File.SetUnixFileMode(secret.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
            var tokens = Path.Combine(secret.FullName, "tokens");
            await File.WriteAllTextAsync(tokens, token + "\n");
            File.SetUnixFileMode(tokens, UnixFileMode.UserRead);
            var mountPath = Path.GetDirectoryName(env["Moco__Sandbox__TokensFile"])!;

            await using var container = await StartAsync(workload, (secret.FullName, mountPath));
            var address = $"http://{container.Hostname}:{container.GetMappedPublicPort(int.Parse(env["Moco__Host__GrpcPort"]))}";
            const string program = "try:\n    print(open('/etc/moco/sandbox-auth/tokens').read())\nexcept Exception as e:\n    print('refused', type(e).__name__)\n";
            var request = new RunProgramRequest { Program = program, Limits = new SandboxLimits { TimeoutS = 10 } };

            using (var bare = GrpcChannel.ForAddress(address))
            {
                var refused = await Assert.ThrowsAsync<RpcException>(() => new SandboxService.SandboxServiceClient(bare).RunProgramAsync(request).ResponseAsync);
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            }
            using var channel = MoCo.Hosting.Outbound.OutboundChannels.SystemTrust.WithToken(token, "token").Create(address);
            var run = await new SandboxService.SandboxServiceClient(channel).RunProgramAsync(request);
            Assert.True(run.Failure.Length == 0 && run.ExitCode == 0, run.Failure + run.StderrTail);
            Assert.StartsWith("refused ", run.StdoutTail);
            Assert.DoesNotContain(token, run.StdoutTail + run.StderrTail, StringComparison.Ordinal);
        }
        finally
        {
            secret.Delete(recursive: true);
        }
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
