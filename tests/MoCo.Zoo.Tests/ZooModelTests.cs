using System.Text.Json.Nodes;
using MoCo.Models.Catalog;
using MoCo.Models.Tokenization;
using MoCo.Native;
using MoCo.Native.Models;
using MoCo.Zoo.Build;
using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Tests;

/// <summary>The committed zoo: every model loads and answers, and the recorded card scores still hold.</summary>
public sealed class ZooModelTests
{
    private static readonly JsonObject Scores = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Models, ZooBuilder.ScoresFile)))!.AsObject();

    private static IReadOnlyList<string> Names => CatalogueFile.Load(CatalogueFile.PathIn(Repository.Models)).Names;

    private static readonly IReadOnlyList<ZooModel> Recipes = ZooRecipes.Models(new TaskSuite((ulong)Scores["seed"]!));

    /// <summary>A zoo model ready to generate: a full model, or an adapter with its base (and the base's tokenizer).</summary>
    private sealed class Loaded : IDisposable
    {
        public Loaded(MocoContext context, string name)
        {
            var recipe = Recipes.Single(m => m.Name == name);
            var directory = Path.Combine(Repository.Models, recipe.Adapter ? recipe.From! : name);
            Encoder = new ChatEncoder(HfTokenizer.FromDirectory(directory));
            End = Encoder.Tokenizer.Encode(CheckpointWriter.EndToken, addSpecialTokens: false).Single();
            Model = MocoModel.Load(context, directory);
            Adapter = recipe.Adapter ? Model.LoadAdapter(Path.Combine(Repository.Models, name)) : null;
        }

        public ChatEncoder Encoder { get; }

        public int End { get; }

        public MocoModel Model { get; }

        public MocoAdapter? Adapter { get; }

        public void Dispose()
        {
            Adapter?.Dispose();
            Model.Dispose();
        }
    }

    [Fact]
    public void The_catalogue_lists_the_base_five_specialists_a_smaller_model_a_judge_and_five_adapters_within_40_MB()
    {
        Assert.Equal(["base", "math", "north", "south", "coder", "guard", "small", "judge", "math-lora", "north-lora", "south-lora", "coder-lora", "guard-lora"], Names);
        var catalogue = JsonNode.Parse(File.ReadAllText(CatalogueFile.PathIn(Repository.Models)))!["models"]!;
        Assert.All(Recipes, m => Assert.Equal(m.Kind, (string?)catalogue[m.Name]!["kind"]));
        var bytes = Names.SelectMany(n => Directory.GetFiles(Path.Combine(Repository.Models, n))).Sum(f => new FileInfo(f).Length);
        Assert.InRange(bytes, 1, 40L << 20);
    }

    [Fact]
    public void Every_model_loads_and_answers_a_chat_prompt_then_ends_its_turn()
    {
        using var context = MocoContext.Create("cpu", 2);
        foreach (var name in Names)
        {
            var directory = Path.Combine(Repository.Models, name);
            var adapter = Recipes.Single(m => m.Name == name).Adapter;
            Assert.Equal(adapter ? "LORA" : "LlamaForCausalLM", adapter
                ? JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "adapter_config.json")))!["peft_type"]!.GetValue<string>()
                : JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!["architectures"]![0]!.GetValue<string>());
            using var loaded = new Loaded(context, name);
            var encoder = loaded.Encoder;
            var output = GreedyGenerator.Generate(loaded.Model, [encoder.EncodePrompt("What is 12 + 30?\n\nState your final answer directly, enclosed exactly as \\box{ANSWER}.")], loaded.End, 24,
                adapter: loaded.Adapter).Single();
            Assert.NotEmpty(output);
            Assert.True(output.Length < 24, $"zoo/{name} did not end its turn: {encoder.Tokenizer.Decode(output)}");
        }
    }

    [Fact]
    public void Each_specialist_beats_the_base_on_its_own_domain_in_the_recorded_scores()
    {
        var scores = Scores["scores"]!.AsObject();
        foreach (var specialty in ZooRecipes.Specialties)
        {
            double Score(string model)
            {
                var task = scores[model]![specialty.Task]!;
                return (double)(specialty.Region is { } region ? task["by_domain"]![region]! : task["score"]!);
            }
            Assert.True(Score(specialty.Model) > Score("base"),
                $"zoo/{specialty.Model} {Score(specialty.Model)} vs zoo/base {Score("base")} on {specialty.Task} {specialty.Region}");
        }
    }

    [Fact]
    public void Each_lora_adapter_beats_the_base_on_its_specialists_domain_in_the_recorded_scores()
    {
        var scores = Scores["scores"]!.AsObject();
        foreach (var specialty in ZooRecipes.Specialties)
        {
            double Score(string model)
            {
                var task = scores[model]![specialty.Task]!;
                return (double)(specialty.Region is { } region ? task["by_domain"]![region]! : task["score"]!);
            }
            var adapter = specialty.Model + ZooRecipes.AdapterSuffix;
            Assert.True(Score(adapter) > Score("base"), $"zoo/{adapter} {Score(adapter)} vs zoo/base {Score("base")} on {specialty.Task} {specialty.Region}");
        }
    }

    [Fact]
    public async Task The_recorded_check_scores_are_reproduced_within_one_item()
    {
        var suite = new TaskSuite((ulong)Scores["seed"]!);
        var items = (int)Scores["check_items"]!;
        using var context = MocoContext.Create("cpu", 2);
        var scorer = new DomainScorer();
        foreach (var name in Names)
        {
            using var loaded = new Loaded(context, name);
            foreach (var domain in suite.Domains)
            {
                var expected = (double)Scores["scores"]![name]![domain.Task]!["check"]!;
                var (scores, _) = await scorer.ScoreAsync(loaded.Model, loaded.Encoder, loaded.End, domain, [.. suite.Splits(domain).Test.Take(items)], CancellationToken.None,
                    loaded.Adapter);
                var actual = scores.Average();
                Assert.True(Math.Abs(actual - expected) <= (1.0 / items) + 1e-9, $"zoo/{name} on {domain.Task}: {actual} vs recorded {expected}");
            }
        }
    }

    [Fact]
    public void Judge_cases_pair_items_alternately_with_their_own_and_the_next_items_ideal_response()
    {
        var suite = new TaskSuite((ulong)Scores["seed"]!);
        var domain = suite.Domains.Single(d => d.Task == "zoo_arithmetic");
        var test = suite.Splits(domain).Test;
        var cases = JudgeAccuracy.Cases(suite, domain, 4);
        bool Same(int a, int b) => domain.Response(test[a]) == domain.Response(test[b]);
        Assert.Equal([domain.Response(test[0]), domain.Response(test[2]), domain.Response(test[2]), domain.Response(test[0])], cases.Select(c => c.Response));
        Assert.Equal([true, Same(1, 2), true, Same(3, 0)], cases.Select(c => c.Good));
        Assert.All(cases, c => Assert.Contains(c.Ideal, JudgePrompts.Verification(c.Request, c.Ideal, c.Response)));
    }

    [Fact]
    public void The_recorded_judge_check_accuracy_is_reproduced_within_one_item()
    {
        var suite = new TaskSuite((ulong)Scores["seed"]!);
        var items = (int)Scores["check_items"]!;
        var recorded = Scores["judge"]!["by_task"]!;
        var directory = Path.Combine(Repository.Models, ZooBuilder.JudgeModel);
        var encoder = new ChatEncoder(HfTokenizer.FromDirectory(directory));
        var end = encoder.Tokenizer.Encode(CheckpointWriter.EndToken, addSpecialTokens: false).Single();
        using var context = MocoContext.Create("cpu", 2);
        using var judge = MocoModel.Load(context, directory);
        foreach (var domain in suite.Domains)
        {
            var (rating, verification) = JudgeAccuracy.Judge(judge, encoder, end, JudgeAccuracy.Cases(suite, domain, items));
            foreach (var (kind, right) in new[] { ("rating", rating), ("verification", verification) })
            {
                var expected = (double)recorded[domain.Task]!["check_" + kind]!;
                var actual = JudgeAccuracy.Accuracy(right);
                Assert.True(Math.Abs(actual - expected) <= (1.0 / items) + 1e-9, $"zoo/judge {kind} on {domain.Task}: {actual} vs recorded {expected}");
            }
        }
    }
}
