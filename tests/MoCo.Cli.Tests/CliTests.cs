using System.Text.Json;
using static MoCo.Cli.Tests.CliRunner;

namespace MoCo.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Help_lists_the_commands()
    {
        var (code, output, _) = await Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("serve", output);
        Assert.Contains("doctor", output);
    }

    [Fact]
    public async Task An_unknown_service_is_a_usage_error_with_exit_code_2()
    {
        var (code, _, error) = await Run("serve", "teleporter");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("teleporter", error);
    }

    [Fact]
    public async Task Doctor_reports_the_native_engine_and_folders_as_json()
    {
        var (code, output, _) = await Run("doctor", "--json");
        Assert.Equal(0, code);
        using var report = JsonDocument.Parse(output);
        var root = report.RootElement;
        Assert.Equal(Native.MocoEngine.Version, root.GetProperty("native_version").GetString());
        Assert.StartsWith("cpu: ", root.GetProperty("devices")[0].GetString());
        Assert.True(root.GetProperty("data_directories").GetArrayLength() >= 2);
        Assert.True(root.GetProperty("healthy").GetBoolean());
        // As root on Linux (CI) the namespace sandbox works; elsewhere doctor says why coding tasks cannot run.
        if (Evaluator.Sandbox.SandboxRunner.IsRoot)
        {
            Assert.StartsWith("namespaces isolation, /", root.GetProperty("sandbox").GetString());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("sandbox_error").ValueKind);
        }
        else
        {
            Assert.Contains("allow_weak_isolation", root.GetProperty("sandbox_error").GetString());
        }
    }

    [Fact]
    public async Task Serve_check_starts_a_service_proves_health_and_stops()
    {
        var (code, output, _) = await Run("serve", "router", "--bind", "127.0.0.1", "--grpc-port", "0", "--admin-port", "0", "--check");
        Assert.Equal(0, code);
        Assert.True(output.Contains("✓ moco.v1.RouterService: Serving", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task Serve_all_check_proves_every_backend_healthy()
    {
        var (code, output, _) = await Run("serve", "all", "--grpc-port", "0", "--admin-port", "0", "--check");
        Assert.True(code == 0, output);
        foreach (var service in new[] { "Inference", "Router", "Evaluator", "Orchestrator" })
        {
            Assert.Contains($"✓ moco.v1.{service}Service: Serving", output);
            Assert.Contains($"✓ moco.v1.{service}Service through the gateway: Serving", output);
        }
    }

    [Fact]
    public async Task Serve_takes_the_run_store_the_data_folders_and_the_models_to_preload()
    {
        var folder = Directory.CreateTempSubdirectory("moco-serve-flags-");
        try
        {
            // What --data-dir and --store set: the evaluator lists the folder's tasks, the orchestrator keeps runs in the store.
            var data = Directory.CreateDirectory(Path.Combine(folder.FullName, "data")).FullName;
            File.Copy(Path.Combine(Testing.Checkout.Root, "data", "zoo_world.json"), Path.Combine(data, "served_world.json"));
            var store = Path.Combine(folder.FullName, "served.db");
            var settings = new Embedded.ServeSettings { BindAddress = "127.0.0.1", GrpcPort = 0, AdminPort = 0, QuietLogs = true, DataDirectories = [data], RunStore = store };
            await using (var evaluator = await Embedded.EmbeddedCluster.StartOneAsync("evaluator", settings, default))
            await using (var orchestrator = await Embedded.EmbeddedCluster.StartOneAsync("orchestrator", settings, default))
            {
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(evaluator.Services[0].GrpcAddress);
                var tasks = await new Contracts.V1.EvaluatorService.EvaluatorServiceClient(channel).ListTasksAsync(new Contracts.V1.ListTasksRequest());
                Assert.Contains(tasks.Datasets, d => d.Task == "served_world" && d.File.StartsWith(data, StringComparison.Ordinal));
                using var runs = Grpc.Net.Client.GrpcChannel.ForAddress(orchestrator.Services[0].GrpcAddress);
                Assert.Empty((await new Contracts.V1.OrchestratorService.OrchestratorServiceClient(runs).ListRunsAsync(new Contracts.V1.ListRunsRequest())).Runs);
                Assert.True(File.Exists(store), "the orchestrator did not open the run store --store names");
            }

            // A model to preload that is nowhere stops the inference host before it serves, naming the model.
            var (refused, refusal, _) = await Run("serve", "inference", "--bind", "127.0.0.1", "--grpc-port", "0", "--admin-port", "0",
                "--preload", "zoo/base, no-such-model", "--check");
            Assert.Equal(ExitCodes.Usage, refused);
            Assert.Contains("Moco:Inference:Preload:1: 'no-such-model' cannot be loaded", refusal.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", refusal, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_device_is_refused_before_binding_with_exit_code_2()
    {
        var (code, output, _) = await Run("serve", "inference", "--bind", "127.0.0.1", "--grpc-port", "0", "--admin-port", "0", "--device", "quantum:3", "--check");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("Moco:Inference:Device", output);
    }

    [Fact]
    public async Task A_gateway_without_replicas_is_a_configuration_error_naming_the_section()
    {
        var (code, output, _) = await Run("serve", "gateway", "--bind", "127.0.0.1", "--grpc-port", "0", "--admin-port", "0", "--check");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("Moco:Gateway:Router:Replicas:0:Address", output);
    }
}
