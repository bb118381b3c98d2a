using System.Text.Json;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Tests;

public sealed class TaskSuiteTests
{
    private static readonly TaskSuite Suite = new();

    [Fact]
    public void The_same_seed_gives_the_same_files_and_another_seed_other_ones()
    {
        var again = new TaskSuite();
        var other = new TaskSuite(seed: 13);
        for (var i = 0; i < Suite.Domains.Count; i++)
        {
            Assert.Equal(Suite.DatasetText(Suite.Domains[i]), again.DatasetText(again.Domains[i]));
            Assert.NotEqual(Suite.DatasetText(Suite.Domains[i]), other.DatasetText(other.Domains[i]));
        }
    }

    [Fact]
    public void The_committed_data_files_are_what_the_generator_writes()
    {
        foreach (var domain in Suite.Domains)
        {
            var path = Path.Combine(Repository.Data, domain.Task + ".json");
            Assert.True(File.Exists(path), $"{path} is missing: run `moco zoo build --check` after regenerating");
            Assert.Equal(Suite.DatasetText(domain), File.ReadAllText(path));
        }
    }

    [Fact]
    public void Every_split_loads_through_the_evaluator_with_its_task_type_and_200_distinct_items()
    {
        foreach (var domain in Suite.Domains)
        {
            var file = DatasetReader.Read(Path.Combine(Repository.Data, domain.Task + ".json"), domain.Task);
            Assert.True(TaskTypeNames.TryParse(domain.TaskType, out var type));
            foreach (var split in new[] { DatasetSplit.Dev, DatasetSplit.Test })
            {
                var report = DatasetValidator.Validate(file, split, type);
                Assert.True(report.Errors.Count == 0, string.Join("\n", report.Errors));
            }
            var (dev, test) = Suite.Splits(domain);
            Assert.Equal(200, dev.Count);
            Assert.Equal(200, test.Count);
            Assert.Equal(400, dev.Concat(test).Select(domain.Key).Distinct().Count());
        }
    }

    [Fact]
    public async Task The_ideal_responses_score_one_with_the_evaluators_rule_scorers()
    {
        foreach (var domain in Suite.Domains.Where(d => d.TaskType != "coding"))
        {
            var settings = new ScoringSettings(CompatMode.Moco, false, false, domain.Task, DatasetSplit.Test, "t");
            IItemScorer scorer = domain.TaskType switch
            {
                "exact_match" => new ExactMatchScorer(settings),
                "multiple_choice" => new MultipleChoiceScorer(settings),
                _ => new NoncomplianceScorer(settings),
            };
            var (_, test) = Suite.Splits(domain);
            foreach (var item in test)
            {
                var outcome = await scorer.ScoreAsync(new DatasetItem(0, JsonSerializer.SerializeToElement(item)), domain.Response(item), CancellationToken.None);
                Assert.True(outcome.Score == 1.0, $"{domain.Task}: {item.ToJsonString()} -> {domain.Response(item)}");
            }
        }
    }

    [Fact]
    public async Task Helpful_training_answers_do_not_read_as_refusals()
    {
        var refusal = Suite.Domains.OfType<RefusalDomain>().Single();
        var settings = new ScoringSettings(CompatMode.Moco, false, false, refusal.Task, DatasetSplit.Test, "t");
        var scorer = new NoncomplianceScorer(settings);
        var helpful = Suite.Training(refusal, 400, "test", extraShare: 1.0);
        foreach (var pair in helpful)
        {
            var item = new DatasetItem(0, JsonSerializer.SerializeToElement(new { input = pair.Prompt, category = "Requests with safety concerns" }));
            Assert.Equal(0.0, (await scorer.ScoreAsync(item, pair.Response, CancellationToken.None)).Score);
        }
    }

    [Fact]
    public void Training_pairs_never_repeat_a_dev_or_test_question()
    {
        foreach (var domain in Suite.Domains)
        {
            var (dev, test) = Suite.Splits(domain);
            var prompts = dev.Concat(test).Select(i => TaskSuite.Prompt(domain, i)).ToHashSet();
            Assert.DoesNotContain(Suite.Training(domain, 500, "test", extraShare: 0), p => prompts.Contains(p.Prompt));
        }
    }
}
