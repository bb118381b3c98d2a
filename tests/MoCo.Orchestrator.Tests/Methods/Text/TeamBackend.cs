using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Tests.Engine;

namespace MoCo.Orchestrator.Tests.Methods.Text;

/// <summary>One request the backend served, with the response it gave.</summary>
public sealed record ServedCall(string Model, string Prompt, string Response, string CallKey);

/// <summary>
/// A TEST DOUBLE of Generate for the collaboration methods, answering by role: a prompt that is an item's own formatted
/// question (dev, or test round 1) gets the gold letter from an <see cref="Experts"/> model and a wrong letter from any
/// other — so best-on-dev and the baselines are fixed by the test — and every composed prompt (knowledge, feedback,
/// revision, summary…) gets a letter hashed from (model, prompt) — except a swarm node's prompt (heterogeneous swarms),
/// which ends with the item's question and is answered like the question itself. Every response ends with a tag naming its kind, model
/// and prompt hash, so it is unique and can be found verbatim in later prompts. Every call is recorded.
/// </summary>
public sealed class TeamBackend(IReadOnlyDictionary<string, string> gold, params string[] experts) : IGenerationBackend
{
    private static readonly (string Marker, string Kind)[] Kinds =
    [
        ("generating relevant knowledge", "knowledge"),
        ("Relevant Knowledge from other assistants", "answer"),
        ("Provide constructive feedback", "feedback"),
        ("Feedback from other assistants", "revise"),
        ("Other assistants' answers", "refine"),
        ("create a final, comprehensive answer", "summary"),
        ("Responses from other AI assistants", "update"),
        ("Please answer the following question", "swarm"),
    ];

    public IReadOnlySet<string> Experts { get; } = experts.ToHashSet();

    public ConcurrentQueue<ServedCall> Calls { get; } = new();

    /// <summary>After this many calls the <see cref="Kill"/> source is cancelled (a killed run).</summary>
    public int? CancelAfter { get; set; }

    public CancellationTokenSource? Kill { get; set; }

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var response = Respond(call.Model, call.Prompt);
        lock (Calls)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Calls.Enqueue(new ServedCall(call.Model, call.Prompt, response, call.CallKey));
            if (CancelAfter is { } limit && Calls.Count >= limit && Kill is { } kill)
            {
                kill.Cancel();
            }
        }
        return [new GeneratedSample(response, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1)))];
    }

    /// <summary>The kind of a prompt: "solo" for an item's own question, else the composed prompt's role.</summary>
    public static string KindOf(string prompt) => Kinds.FirstOrDefault(k => prompt.Contains(k.Marker, StringComparison.Ordinal)).Kind ?? "solo";

    /// <summary>The calls of one kind, in serving order.</summary>
    public IReadOnlyList<ServedCall> Of(string kind) => [.. Calls.Where(c => KindOf(c.Prompt) == kind)];

    private string Respond(string model, string prompt)
    {
        var kind = KindOf(prompt);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + prompt));
        string letter;
        var question = kind == "swarm" ? gold.Keys.FirstOrDefault(q => prompt.EndsWith(q, StringComparison.Ordinal)) : prompt;
        if (kind is "solo" or "swarm" && question is not null && gold.TryGetValue(question, out var right))
        {
            letter = Experts.Contains(model) ? right : ((char)('A' + (right[0] - 'A' + 1) % 4)).ToString();
        }
        else
        {
            letter = ScriptedBackend.Letter(model, prompt);
        }
        return $"The answer is {letter}. [{kind} {model} {Convert.ToHexStringLower(hash)[..8]}]";
    }
}
