using System.Collections.Concurrent;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Orchestrator.Tests.Engine;
using MoCo.Orchestrator.Tests.Methods.Text;

namespace MoCo.Orchestrator.Tests.Methods.Api;

/// <summary>
/// A TEST DOUBLE of Generate for the routing methods: an item's own question gets `The answer is X.` with the gold
/// letter from an expert and a wrong letter from any other model, so dev profiles and answers are fixed by the test; a
/// routing prompt (any prompt that embeds a known question without being it) is answered by <paramref name="route"/>
/// (model, question, prompt) → router text. Every call is recorded.
/// </summary>
public sealed class RoutingBackend(IReadOnlyDictionary<string, string> gold, Func<string, string, string, string> route, params string[] experts)
    : IGenerationBackend
{
    public ConcurrentQueue<ServedCall> Calls { get; } = new();

    /// <summary>Text a model appends after its answer sentence (default none), so equal answers can differ in style.</summary>
    public Func<string, string> Style { get; init; } = _ => "";

    public Task<string> FingerprintAsync(string model, CancellationToken cancellationToken) => Task.FromResult("fp:" + model);

    public async Task<IReadOnlyList<GeneratedSample>> GenerateAsync(GenerationCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var response = Respond(call.Model, call.Prompt);
        Calls.Enqueue(new ServedCall(call.Model, call.Prompt, response, call.CallKey));
        return [new GeneratedSample(response, "stop", new CallUsage(10, 5, TimeSpan.FromMilliseconds(1)))];
    }

    /// <summary>Whether <paramref name="prompt"/> is an item's own question.</summary>
    public bool IsQuestion(string prompt) => gold.ContainsKey(prompt);

    /// <summary>The letter <paramref name="model"/> answers a question with.</summary>
    public string Letter(string model, string question) =>
        experts.Contains(model) ? gold[question] : ((char)('A' + (gold[question][0] - 'A' + 1) % 4)).ToString();

    /// <summary>Answer calls (item questions) served per model.</summary>
    public int Answers(string model) => Calls.Count(c => c.Model == model && IsQuestion(c.Prompt));

    private string Respond(string model, string prompt)
    {
        if (gold.ContainsKey(prompt))
        {
            return $"The answer is {Letter(model, prompt)}.{Style(model)}";
        }
        var question = gold.Keys.FirstOrDefault(q => prompt.Contains(q, StringComparison.Ordinal));
        return question is null ? $"The answer is {ScriptedBackend.Letter(model, prompt)}." : route(model, question, prompt);
    }
}
