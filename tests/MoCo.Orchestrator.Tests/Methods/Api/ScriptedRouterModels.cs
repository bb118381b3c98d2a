using System.Globalization;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Service;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>A TEST DOUBLE of the router service's models answering as a run's <see cref="LambdaBackend"/> does:
/// <paramref name="respond"/>(model, user message, seed) with the prompt's `&lt;begin&gt;` splitting off the prefill, and
/// LambdaBackend's fingerprints, so a served call seeded as the run's gets the run's text.</summary>
public sealed class ScriptedRouterModels(Func<string, string, ulong, string> respond) : IRouterModels
{
    /// <summary>A sampled text: four digits that are a function of the seed alone.</summary>
    public static string Sample(ulong seed) => (1000 + seed % 9000).ToString(CultureInfo.InvariantCulture);

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
        CancellationToken cancellationToken) =>
        Task.FromResult(new RouterGeneration(respond(model, ChatPrompts.SplitPrefill(prompt).User, seed), new Usage { PromptTokens = 1, CompletionTokens = 1 }));

    public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
        throw new NotSupportedException("these routers never embed");
}
