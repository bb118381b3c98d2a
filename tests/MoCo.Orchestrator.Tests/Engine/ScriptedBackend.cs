using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Engine;

/// <summary>
/// A TEST DOUBLE of the inference service's Generate, used until Generate is served: each model "answers" a
/// multiple-choice prompt with a letter derived from a hash of (model, prompt) — deterministic, so the tests can compute
/// the expected votes and scores independently — and counts every call it serves. <see cref="CancelAfter"/> simulates
/// a kill: after that many calls it cancels the run's token.
/// </summary>
public sealed class ScriptedBackend : IGenerationBackend
{
    public ConcurrentQueue<string> CallKeys { get; } = new();

    public int? CancelAfter { get; set; }

    public CancellationTokenSource? Kill { get; set; }

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        lock (CallKeys)
        {
            // A killed run serves no further call; the calls that were served complete (and are stored) as in a real kill.
            cancellationToken.ThrowIfCancellationRequested();
            CallKeys.Enqueue(call.CallKey);
            if (CancelAfter is { } limit && CallKeys.Count >= limit && Kill is { } kill)
            {
                kill.Cancel();
            }
        }
        return [.. Enumerable.Range(0, call.Samples).Select(_ => new GeneratedSample($"<think>hmm</think>The answer is {Letter(call.Model, call.Prompt)}.", "stop",
            new CallUsage(10, 5, TimeSpan.FromMilliseconds(1))))];
    }

    /// <summary>The letter model <paramref name="model"/> gives for <paramref name="prompt"/>: mostly agreeing models
    /// ("m-a", "m-b") and a contrarian, so votes have majorities and ties.</summary>
    public static string Letter(string model, string prompt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + prompt));
        return ((char)('A' + hash[0] % 4)).ToString();
    }
}
