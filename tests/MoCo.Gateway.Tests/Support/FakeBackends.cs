using Grpc.Core;
using MoCo.Gateway.Tests.Fakes;

namespace MoCo.Gateway.Tests.Support;

internal static class Echoes
{
    public static GatewayTestReply Reply(GatewayTestRequest request, string service) =>
        new() { Text = request.Text, Payload = request.Payload, Service = service };
}

internal sealed class FakeInference : InferenceService.InferenceServiceBase
{
    public override Task<GatewayTestReply> Echo(GatewayTestRequest request, ServerCallContext context) =>
        Task.FromResult(Echoes.Reply(request, GatewayBackends.Inference.ServiceName));

    public override async Task Chat(IAsyncStreamReader<GatewayTestRequest> requestStream, IServerStreamWriter<GatewayTestReply> responseStream,
        ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(Echoes.Reply(request, GatewayBackends.Inference.ServiceName), context.CancellationToken);
        }
    }
}

internal sealed class FakeRouter : RouterService.RouterServiceBase
{
    public override Task<GatewayTestReply> Echo(GatewayTestRequest request, ServerCallContext context) =>
        Task.FromResult(Echoes.Reply(request, GatewayBackends.Router.ServiceName));
}

internal sealed class FakeEvaluator : EvaluatorService.EvaluatorServiceBase
{
    public override Task<GatewayTestReply> Echo(GatewayTestRequest request, ServerCallContext context) =>
        Task.FromResult(Echoes.Reply(request, GatewayBackends.Evaluator.ServiceName));
}

internal sealed class FakeOrchestrator : OrchestratorService.OrchestratorServiceBase
{
    public override Task<GatewayTestReply> Echo(GatewayTestRequest request, ServerCallContext context) =>
        Task.FromResult(Echoes.Reply(request, GatewayBackends.Orchestrator.ServiceName));
}
