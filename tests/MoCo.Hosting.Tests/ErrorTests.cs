using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Tests.Probe;

namespace MoCo.Hosting.Tests;

public sealed class ErrorTests : IAsyncLifetime
{
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _host = await ProbeModule.StartAsync(new ProbeModule());
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_unmapped_exception_is_internal_and_does_not_leak_its_text()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Mode = "throw" }));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("InvalidOperationException", error.Status.Detail);
        Assert.DoesNotContain("secret internals", error.Status.Detail);
    }

    [Fact]
    public async Task A_mapped_exception_gets_its_status_and_rich_details()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Mode = "mapped" }));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        var info = Assert.Single(MocoErrors.ErrorInfos(error));
        Assert.Equal("moco.v1", info.Domain);
        Assert.Equal("OUT_OF_MEMORY", info.Reason);
        Assert.Equal("text", Assert.Single(MocoErrors.FieldViolations(error)).Field);
        Assert.Contains("needs 9 GiB, 1 GiB free", error.Status.Detail);
    }

    [Fact]
    public async Task A_passed_deadline_reaches_the_caller_as_deadline_exceeded()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Mode = "cancel" },
                deadline: DateTime.UtcNow.AddMilliseconds(200)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task A_pending_rpc_answers_unimplemented_naming_itself_and_what_it_needs()
    {
        var client = new ProbeService.ProbeServiceClient(_channel);
        var later = await Assert.ThrowsAsync<RpcException>(async () => await client.LaterAsync(new ProbeRequest()));
        Assert.Equal(StatusCode.Unimplemented, later.StatusCode);
        Assert.StartsWith("moco.testing.ProbeService/Later is not implemented in MoCo.NET", later.Status.Detail);
        Assert.Contains("it needs a time machine", later.Status.Detail);

        var undeclared = await Assert.ThrowsAsync<RpcException>(async () => await client.UndeclaredAsync(new ProbeRequest()));
        Assert.Equal(StatusCode.Unimplemented, undeclared.StatusCode);
        Assert.StartsWith("moco.testing.ProbeService/Undeclared is not implemented", undeclared.Status.Detail);
    }

    [Fact]
    public void Invalid_argument_lists_every_problem_in_order()
    {
        var error = MocoErrors.InvalidArgument(
            new Problem("hyperparameters.top_p", "CFG004", "1.5 is above 1", new Dictionary<string, string> { ["fix"] = "use a value in (0, 1]" }),
            new Problem("model_names[1]", "CFG009", "model 'nope' not found"));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(["hyperparameters.top_p", "model_names[1]"], MocoErrors.FieldViolations(error).Select(v => v.Field));
        Assert.Equal(["CFG004", "CFG009"], MocoErrors.ErrorInfos(error).Select(i => i.Reason));
        Assert.Equal("use a value in (0, 1]", MocoErrors.ErrorInfos(error)[0].Metadata["fix"]);
        Assert.Contains("hyperparameters.top_p: 1.5 is above 1 (fix: use a value in (0, 1])", error.Status.Detail);
        Assert.Contains("model_names[1]: model 'nope' not found", error.Status.Detail);
    }

    [Fact]
    public void Unimplemented_names_the_capability_and_what_it_needs()
    {
        var error = MocoErrors.Unimplemented("InferenceService.Generate", "the native decoder");
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.StartsWith("InferenceService.Generate is not implemented", error.Status.Detail);
        Assert.Contains("the native decoder", error.Status.Detail);
        Assert.Equal("NOT_IMPLEMENTED", Assert.Single(MocoErrors.ErrorInfos(error)).Reason);
    }

    [Fact]
    public void Not_found_names_the_thing_and_the_fix()
    {
        var error = MocoErrors.NotFound("model", "MODEL_NOT_FOUND", "model 'zoo/nope'", "run `moco models list`");
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("model 'zoo/nope' not found", error.Status.Detail);
        Assert.Equal("run `moco models list`", Assert.Single(MocoErrors.ErrorInfos(error)).Metadata["fix"]);
    }
}
