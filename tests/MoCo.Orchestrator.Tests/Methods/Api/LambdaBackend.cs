using System.Collections.Concurrent;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>A TEST DOUBLE of Generate answering every call with <paramref name="respond"/>(call) → (text, confidence);
/// the confidence is returned only when the call asks for one, as the inference service's top-k logits give it.
/// Every call is recorded.</summary>
public sealed class LambdaBackend(Func<GenerationCall, (string Text, double Confidence)> respond) : IGenerationBackend
{
    public ConcurrentQueue<GenerationCall> Calls { get; } = new();

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Calls.Enqueue(call);
        var (text, confidence) = respond(call);
        return [.. Enumerable.Range(0, call.Samples).Select(_ => new GeneratedSample(text, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1)),
            call.ConfidenceTopK > 0 ? confidence : null))];
    }
}
