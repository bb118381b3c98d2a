using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Service;
using MoCo.Native.Models;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>
/// Scores a model on a domain's items with the evaluator's own scorers (exact match, multiple choice, the coding
/// sandbox, the noncompliance rules) after greedy generation with the zoo's chat template.
/// </summary>
public sealed class DomainScorer
{
    /// <summary>New tokens per answer: enough for the longest ideal response of any domain.</summary>
    public const int MaxNewTokens = 64;

    private readonly LocalSandbox _sandbox = LocalSandbox.OfThisMachine(new EvaluatorOptions().SandboxUidBase);

    /// <summary>The score of <paramref name="model"/> on each of <paramref name="items"/> of <paramref name="domain"/>,
    /// and the generated outputs; with <paramref name="adapter"/>, of the model with that LoRA adapter.</summary>
    public async Task<(IReadOnlyList<double> Scores, IReadOnlyList<string> Outputs)> ScoreAsync(MocoModel model, ChatEncoder encoder, int endToken,
        SuiteDomain domain, IReadOnlyList<JsonObject> items, CancellationToken cancellationToken, MocoAdapter? adapter = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(items);
        var prompts = items.Select(item => encoder.EncodePrompt(TaskSuite.Prompt(domain, item))).ToList();
        var generated = GreedyGenerator.Generate(model, prompts, endToken, MaxNewTokens, adapter: adapter);
        var outputs = generated.Select(ids => encoder.Tokenizer.Decode(ids, skipSpecialTokens: true)).ToList();
        var scorer = CreateScorer(domain);
        await scorer.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var scores = new double[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var item = new DatasetItem(i, JsonSerializer.SerializeToElement(items[i]));
            var outcome = await scorer.ScoreAsync(item, outputs[i], cancellationToken).ConfigureAwait(false);
            if (outcome.Error is { } error)
            {
                throw new InvalidOperationException($"{domain.Task} item {i}: scoring failed: {error.Message}");
            }
            scores[i] = outcome.Score ?? 0;
        }
        return (scores, outputs);
    }

    private IItemScorer CreateScorer(SuiteDomain domain)
    {
        var settings = new ScoringSettings(CompatMode.Moco, Extracted: false, ExtractOnly: false, domain.Task, DatasetSplit.Test, "zoo");
        return domain.TaskType switch
        {
            "exact_match" => new ExactMatchScorer(settings),
            "multiple_choice" => new MultipleChoiceScorer(settings),
            "noncompliance" => new NoncomplianceScorer(settings),
            "coding" => new CodingScorer(settings, new SandboxLimits { AllowWeakIsolation = true }, _sandbox, new PromptBuilder(PromptTexts.Default)),
            _ => throw new InvalidOperationException($"{domain.Task}: no zoo scorer for task type {domain.TaskType}"),
        };
    }
}
