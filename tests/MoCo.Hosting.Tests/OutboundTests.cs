using Grpc.Core;
using Grpc.Net.Client.Configuration;
using MoCo.Hosting.Outbound;
using MoCo.Hosting.Tests.Probe;

namespace MoCo.Hosting.Tests;

/// <summary>Channels between services retry a call answered UNAVAILABLE (a replica that died, a connection that broke)
/// with backoff, and nothing else.</summary>
public sealed class OutboundTests : IAsyncLifetime
{
    private RunningService _host = null!;

    public async Task InitializeAsync() => _host = await ProbeModule.StartAsync(new ProbeModule());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(StatusCode Code, int Attempts)> CallAsync(string mode)
    {
        var text = Guid.NewGuid().ToString("N");
        using var channel = OutboundChannels.SystemTrust.Create(_host.GrpcAddress);
        var code = StatusCode.OK;
        try
        {
            await new ProbeService.ProbeServiceClient(channel).CallAsync(new ProbeRequest { Text = text, Mode = mode }, deadline: DateTime.UtcNow.AddSeconds(30));
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
        }
        return (code, ProbeServiceImpl.Attempts[text]);
    }

    [Fact]
    public async Task A_call_answered_unavailable_is_sent_again_until_it_is_answered()
    {
        Assert.Equal((StatusCode.OK, 3), await CallAsync("unavailable:2"));
        Assert.Equal((StatusCode.Unavailable, CallRetries.MaxAttempts), await CallAsync("unavailable:99"));
    }

    [Fact]
    public async Task Other_errors_are_answers_and_are_not_repeated()
    {
        Assert.Equal((StatusCode.ResourceExhausted, 1), await CallAsync("mapped"));
        Assert.Equal((StatusCode.Internal, 1), await CallAsync("throw"));
    }

    [Fact]
    public void StartRun_is_never_repeated()
    {
        var startRun = CallRetries.ServiceConfig.MethodConfigs.Single(m => m.Names.Any(n => n.Method == "StartRun"));
        Assert.Equal("moco.v1.OrchestratorService", startRun.Names.Single().Service);
        Assert.Null(startRun.RetryPolicy);
        Assert.Contains(CallRetries.ServiceConfig.MethodConfigs, m => m.Names.Contains(MethodName.Default) && m.RetryPolicy is not null);
    }
}
