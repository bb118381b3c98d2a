using MoCo.Contracts.V1;
using MoCo.Router.Service;

namespace MoCo.Router.Tests;

/// <summary>Models for fits that only ask fingerprints (trained models' ids, seeds): any generation or embedding fails
/// the test.</summary>
internal sealed class FingerprintModels : IRouterModels
{
    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public Task<RouterGeneration> GenerateAsync(string model, string prompt, SamplingSettings settings, ulong seed, string callKey,
        CancellationToken cancellationToken) => throw new InvalidOperationException("this fit generates nothing");

    public Task<IReadOnlyList<double[]>> EmbedAsync(string model, IReadOnlyList<string> texts, string callKey, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this fit embeds nothing");
}

/// <summary>The progress a fit reports, in order.</summary>
internal sealed class ProgressLog
{
    public List<Progress> Reports { get; } = [];

    public Task Add(Progress progress)
    {
        Reports.Add(progress);
        return Task.CompletedTask;
    }
}
