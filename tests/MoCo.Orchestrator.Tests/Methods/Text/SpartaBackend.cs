using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>One call the SPARTA double served.</summary>
public sealed record SpartaCall(string Model, string Prompt, int MaxNewTokens, string Response, string CallKey, double Temperature = 0, int Samples = 1);

/// <summary>
/// A TEST DOUBLE of Generate for the training methods (text_sparta, text_multiagent_finetuning): a SPARTA judge prompt gets `{"score": s}` with s in 1…10 hashed from (model,
/// prompt) — cut to its first character when fewer than 8 new tokens are allowed, so it no longer parses; any other
/// prompt gets "The answer is X." with a letter hashed from (model, prompt) (nothing else, so no option text of the
/// item can match inside it and the evaluator reads exactly X). Every call is recorded; <see cref="CancelAfter"/> kills the run after that many calls.
/// </summary>
public sealed class SpartaBackend : IGenerationBackend
{
    public const string JudgeMarker = "Please judge the following response";

    public ConcurrentQueue<SpartaCall> Calls { get; } = new();

    public int? CancelAfter { get; set; }

    public CancellationTokenSource? Kill { get; set; }

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var samples = Enumerable.Range(0, call.Samples).Select(k => Respond(call, k)).ToList();
        lock (Calls)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Calls.Enqueue(new SpartaCall(call.Model, call.Prompt, call.MaxNewTokens, samples[0], call.CallKey, call.Temperature, call.Samples));
            if (CancelAfter is { } limit && Calls.Count >= limit && Kill is { } kill)
            {
                kill.Cancel();
            }
        }
        return [.. samples.Select(s => new GeneratedSample(s, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1))))];
    }

    /// <summary>Sample <paramref name="sample"/> of a call: sample 0 as described above; a later sample's letter is hashed
    /// with its index too.</summary>
    public static string Respond(GenerationCall call, int sample)
    {
        ArgumentNullException.ThrowIfNull(call);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(call.Model + "\n" + call.Prompt));
        var response = call.Prompt.Contains(JudgeMarker, StringComparison.Ordinal)
            ? $"{{\"score\": {1 + hash[1] % 10}}}"
            : $"The answer is {ScriptedBackend.Letter(sample == 0 ? call.Model : $"{call.Model}#{sample}", call.Prompt)}.";
        return call.MaxNewTokens < 8 ? response[..1] : response;
    }

    public IReadOnlyList<SpartaCall> Judgements => [.. Calls.Where(c => c.Prompt.Contains(JudgeMarker, StringComparison.Ordinal))];
}
