using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.V1;
using MoCo.Router.Routing;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>What a client gets from a model alone: StdGen's request (methods-api.md §0.2: one user turn, the text after a
/// `&lt;begin&gt;` as the prefill), greedy, with the budget the router tests' configs give; and the repository root the
/// bundled models and data are read from.</summary>
internal static class StdGenCalls
{
    public static string RepoRoot => MoCo.Testing.Checkout.Root;

    public static async Task<string> GreedyAsync(InferenceService.InferenceServiceClient inference, string model, string prompt, int maxNewTokens = 8)
    {
        var request = new GenerateRequest
        {
            Model = model,
            Prompt = UserPrompts.Of(prompt),
            Sampling = new SamplingParams { Temperature = 0, TopP = 1, DoSample = false, MaxNewTokens = maxNewTokens },
            N = 1,
        };
        using var call = inference.Generate(request, RoutingHeaders.For(model));
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync();
        return messages.Single(m => m.PayloadCase == GenerateResponse.PayloadOneofCase.Final).Final.Text;
    }
}
