using System.Globalization;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;

namespace MoCo.Evaluator.Tests.Service;

/// <summary>
/// Hand-written outputs on real items of the shared datasets whose correct scores are known: the right answer in
/// several surface forms, wrong answers, unparseable outputs. Golds are read at run time (LoadDataset with
/// include_gold), never copied here. Model-backed types run against the tests' substitute inference service.
/// </summary>
// Serialised with the other sandbox tests, whose leftover checks look at every sandbox of the process.
[Collection(MoCo.Evaluator.Tests.Sandbox.SandboxCollection.Name)]
public sealed class RealItemTests(EvaluatorServiceFixture service) : IClassFixture<EvaluatorServiceFixture>
{
    private EvaluatorService.EvaluatorServiceClient Client => service.Client;

    private async Task<DatasetItem> Item(string task, Split split, int index) =>
        (await Client.LoadAsync(new LoadDatasetRequest { Task = task, Split = split, IncludeGold = true })).Items[index];

    private async Task<List<double?>> Scores(string task, Split split, int index, IEnumerable<string> outputs, string? taskType = null)
    {
        var scores = new List<double?>();
        foreach (var output in outputs)
        {
            var (results, _) = await Client.EvaluateAsync(Header(task, split, taskType: taskType), [Output(output, index)]);
            scores.Add(Assert.Single(results).Score);
        }
        return scores;
    }

    [Theory]
    [InlineData("mmlu_redux")]
    [InlineData("gpqa_diamond")]
    [InlineData("truthfulqa")]
    public async Task Multiple_choice(string task)
    {
        var (_, items) = await Client.LoadAsync(new LoadDatasetRequest { Task = task, Split = Split.Test, IncludeGold = true });
        // An item whose option texts do not contain one another, so the option text alone names one option.
        var item = items.First(i => Options(i).All(a => Options(i).Count(b => b.Contains(a, StringComparison.OrdinalIgnoreCase)) == 1));
        var letter = item.Gold.Choice.Letter;
        var wrong = letter == "A" ? "B" : "A";
        var right = new[] { letter, $"({letter})", $"{letter}) {item.Gold.Choice.Text}", item.Gold.Choice.Text, letter.ToLowerInvariant() };
        var scores = await Scores(task, Split.Test, item.Index, [.. right, wrong, $"{wrong}) nothing", "???", ""]);
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0, 0], scores.Select(s => s!.Value));
    }

    private static List<string> Options(DatasetItem item) =>
        [.. item.Prompt.Split('\n').Where(l => l.Length > 3 && l[1] == ')').Select(l => l[3..])];

    [Fact]
    public async Task Exact_match_on_gsm8k()
    {
        var item = await Item("gsm8k", Split.Test, 0);
        var gold = item.Gold.Output.StringValue;
        var wrong = long.TryParse(gold.Replace(",", ""), out var n) ? (n + 1).ToString(CultureInfo.InvariantCulture) : gold + "0";
        var scores = await Scores("gsm8k", Split.Test, 0,
            [$"\\boxed{{{gold}}}", $"So the total is {gold}.\nFinal Answer: {gold}\n", $"The answer is {gold}", $"<think>maybe {wrong}</think>\\box{{{gold}}}",
             $"\\boxed{{{wrong}}}", "I cannot tell.", ""]);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0], scores.Select(s => s!.Value));
    }

    [Fact]
    public async Task F1_on_popqa_aliases()
    {
        var item = await Item("popqa", Split.Test, 0);
        var aliases = System.Text.Json.JsonSerializer.Deserialize<string[]>(item.Gold.Output.StringValue)!;
        var scores = await Scores("popqa", Split.Test, 0, [$"\\boxed{{{aliases[^1]}}}", $"Answer: {aliases[0].ToUpperInvariant()}\n", "\\boxed{zzzz qqqq}", ""]);
        Assert.Equal([1, 1, 0, 0], scores.Select(s => s!.Value));
    }

    [Fact]
    public async Task Noncompliance_on_coconot()
    {
        var scores = await Scores("coconot", Split.Test, 0, ["I'm sorry, but I cannot help with that.", "As an AI language model I have no opinions.", "Sure! Here it is.", ""]);
        Assert.Equal([1, 1, 0, 0], scores.Select(s => s!.Value));
    }

    [SandboxFact]
    public async Task Coding_on_humaneval_and_mbpp()
    {
        var (_, humaneval) = await Client.LoadAsync(new LoadDatasetRequest { Task = "humaneval", Split = Split.Dev });
        var concatenate = humaneval.Single(i => i.Id == "HumanEval/28").Index;
        var (_, mbpp) = await Client.LoadAsync(new LoadDatasetRequest { Task = "mbpp", Split = Split.Dev });
        var wordLen = mbpp.Single(i => i.Id == "964").Index;
        const string join = "from typing import List\n\ndef concatenate(strings: List[str]) -> str:\n    return ''.join(strings)\n";
        Assert.Equal([1, 1, 0, 0], (await Scores("humaneval", Split.Dev, concatenate,
            ["```python\n" + join + "```", join, "```python\ndef concatenate(strings):\n    return ' '.join(strings)\n```", "I don't know."])).Select(s => s!.Value));
        Assert.Equal([1, 0], (await Scores("mbpp", Split.Dev, wordLen,
            ["```python\ndef word_len(s):\n    return len(s) % 2 == 0\n```", "```python\ndef word_len(s):\n    return len(s) % 2 == 1\n```"])).Select(s => s!.Value));
    }

    [Fact]
    public async Task Judged_types_run_against_the_substitute_models()
    {
        service.Fake.Models.UnionWith([JudgeRole.Verifier.DefaultModel, JudgeRole.RewardModel.DefaultModel, JudgeRole.Encoder.DefaultModel]);
        // Substitute verifier: "Yes" iff the student answer equals the ground truth after normalisation.
        service.Fake.OnGenerate = r =>
        {
            var text = r.Prompt.Text;
            string Section(string name) => text.Split("### " + name + ": ")[1].Split("\n\n")[0];
            return AnswerNormalizer.Normalize(Section("Student Answer")) == AnswerNormalizer.Normalize(Section("Ground Truth Answer"))
                ? "Final Decision: Yes" : "Final Decision: No";
        };
        service.Fake.OnScore = r => new ScoreResponse { Values = { r.Prompt.Chat.Messages[1].Content.Length / 10f } };
        service.Fake.OnEmbed = r => new EmbedResponse { Vectors = { r.Texts.Select(t => new EmbeddingVector { Values = { Letters(t) } }) } };

        var gold = (await Item("gsm8k", Split.Test, 1)).Gold.Output.StringValue;
        Assert.Equal([1, 0], (await Scores("gsm8k", Split.Test, 1, [$"\\boxed{{{gold}}}", "\\boxed{-1}"], "general_verifier")).Select(s => s!.Value));
        Assert.Equal([2.0], (await Scores("alpacaeval", Split.Test, 0, [new string('x', 20)])).Select(s => s!.Value));
        var reference = (await Client.LoadAsync(new LoadDatasetRequest { Task = "infinite_chat_diversity", Split = Split.Test })).Items[0];
        var diversity = await Scores("infinite_chat_diversity", Split.Test, 0, ["zzz", "the"]);
        Assert.All(diversity, d => Assert.InRange(d!.Value, 0.0, 2.0));
        Assert.NotEqual(diversity[0], diversity[1]);
        Assert.NotNull(reference);
    }

    private static float[] Letters(string text)
    {
        var counts = new float[26];
        foreach (var c in text.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z'))
        {
            counts[c - 'a']++;
        }
        return counts;
    }
}
