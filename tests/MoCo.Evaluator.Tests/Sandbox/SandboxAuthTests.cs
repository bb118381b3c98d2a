using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Evaluator.Tests.Support;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Outbound;
using MoCo.Testing;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>Moco:Sandbox:TokensFile: the sandbox service runs programs only for callers bearing one of its tokens (the
/// evaluator sends Moco:Evaluator:SandboxToken, never its gateway token); health stays open; a file that cannot
/// protect anything stops the service.</summary>
[Collection(SandboxCollection.Name)]
public sealed class SandboxAuthTests(EvaluatorServiceFixture evaluator) : IClassFixture<EvaluatorServiceFixture>, IAsyncLifetime
{
    private static readonly string Token = new('s', 40);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("moco-sandbox-auth-");
    private RunningService _sandbox = null!;

    private string Address => _sandbox.GrpcAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        var tokens = Path.Combine(_folder.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, Token + "\n");
        _sandbox = await LoopbackHost.StartAsync(new SandboxModule(), ("Moco:Sandbox:MaxParallel", "2"), ("Moco:Sandbox:TokensFile", tokens));
    }

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    private async Task<RunProgramResponse> RunAsync(string? token)
    {
        using var channel = Channel(token);
        return await new SandboxService.SandboxServiceClient(channel)
            .RunProgramAsync(new RunProgramRequest { Program = "print(1)\n", Limits = new Contracts.V1.SandboxLimits { TimeoutS = 5 } });
    }

    private GrpcChannel Channel(string? token) => OutboundChannels.SystemTrust.WithToken(token, "token").Create(Address);

    [Fact]
    public async Task A_call_without_an_accepted_token_is_unauthenticated_naming_the_settings_and_health_stays_open()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => RunAsync(null));
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Contains("set Moco:Evaluator:SandboxToken to a token of its Moco:Sandbox:TokensFile", missing.Status.Detail);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => RunAsync(new string('x', 40)));
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Contains("not one this service accepts", wrong.Status.Detail);

        using var bare = Channel(null);
        var health = await new Health.HealthClient(bare).CheckAsync(new HealthCheckRequest { Service = SandboxService.Descriptor.FullName });
        Assert.NotEqual(HealthCheckResponse.Types.ServingStatus.Unknown, health.Status);
    }

    [SandboxFact]
    public async Task A_call_bearing_a_token_of_the_file_runs_its_program()
    {
        var reply = await RunAsync(Token);
        Assert.Equal((0, "1\n"), (reply.ExitCode, reply.StdoutTail));
    }

    [SandboxFact]
    public async Task An_evaluator_sends_its_sandbox_token_and_without_one_coding_items_are_an_error_not_a_score()
    {
        const string join = "from typing import List\n\ndef concatenate(strings: List[str]) -> str:\n    return ''.join(strings)\n";
        await using (var replica = await evaluator.StartAsync(("Moco:Evaluator:SandboxAddress", Address), ("Moco:Evaluator:SandboxToken", Token),
            ("Moco:Host:GatewayToken", new string('g', 40))))
        {
            using var channel = GrpcChannel.ForAddress(replica.GrpcAddress);
            var client = new EvaluatorService.EvaluatorServiceClient(channel);
            var (_, humaneval) = await client.LoadAsync(new LoadDatasetRequest { Task = "humaneval", Split = Split.Dev });
            var index = humaneval.Single(i => i.Id == "HumanEval/28").Index;
            var (scored, _) = await client.EvaluateAsync(Header("humaneval", Split.Dev), [Output(join, index)]);
            Assert.Equal(1.0, Assert.Single(scored).Score!.Value);
        }

        // The gateway token alone is not the sandbox's: the item cannot be scored, and says why.
        await using (var replica = await evaluator.StartAsync(("Moco:Evaluator:SandboxAddress", Address), ("Moco:Host:GatewayToken", Token)))
        {
            using var channel = GrpcChannel.ForAddress(replica.GrpcAddress);
            var client = new EvaluatorService.EvaluatorServiceClient(channel);
            var e = await Assert.ThrowsAsync<RpcException>(() => client.EvaluateAsync(Header("humaneval", Split.Dev), [Output(join, 0)]));
            Assert.Equal(Reasons.SandboxUnavailable, MocoErrors.ErrorInfos(e).Single().Reason);
            Assert.Contains("Unauthenticated", e.Status.Detail);
        }
    }

    [Fact]
    public async Task A_tokens_file_that_protects_nothing_stops_the_service_naming_the_setting()
    {
        var weak = Path.Combine(_folder.FullName, "weak");
        await File.WriteAllTextAsync(weak, "short\n");
        foreach (var file in new[] { weak, Path.Combine(_folder.FullName, "absent") })
        {
            var error = await Assert.ThrowsAsync<MocoConfigurationException>(() => LoopbackHost.StartAsync(new SandboxModule(), ("Moco:Sandbox:TokensFile", file)));
            Assert.Contains("Moco:Sandbox:TokensFile", error.Message);
        }
    }
}
