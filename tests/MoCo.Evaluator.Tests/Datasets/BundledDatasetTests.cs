using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Tests.Support;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Tests.Datasets;

/// <summary>evaluation.md §1.2 and §6 "Datasets": every shared MoCo dataset loads with the sizes and task type of
/// the table, validates against its own type, and shows the documented warnings.</summary>
public sealed class BundledDatasetTests
{
    public static TheoryData<string, string, int, int> Table => new()
    {
        { "agieval", "multiple_choice", 1156, 1156 }, { "agieval_tiny", "multiple_choice", 40, 40 },
        { "alpacaeval", "reward_model", 2000, 1000 }, { "arc_challenge", "multiple_choice", 299, 1172 },
        { "bbh", "exact_match", 1000, 1000 }, { "blend", "multiple_choice", 1000, 1000 },
        { "coconot", "noncompliance", 1000, 1000 }, { "culturalbench_hard", "multiple_choice", 613, 613 },
        { "culturebench", "exact_match", 2454, 2454 }, { "gpqa_diamond", "multiple_choice", 99, 99 },
        { "gpqa_extended", "multiple_choice", 273, 273 }, { "gpqa_main", "multiple_choice", 224, 224 },
        { "gsm8k", "exact_match", 200, 1000 }, { "human_interest", "reward_model", 400, 400 },
        { "human_interest_tiny", "reward_model", 58, 112 }, { "humaneval", "coding", 50, 114 },
        { "infinite_chat_diversity", "generation_diversity", 26, 25 }, { "kaleidoscope", "multiple_choice", 1000, 1000 },
        { "math", "exact_match", 956, 956 }, { "mbpp", "coding", 487, 487 },
        { "medmcqa", "multiple_choice", 2091, 2092 }, { "medqa", "multiple_choice", 636, 637 },
        { "mmlu_redux", "multiple_choice", 1000, 1000 }, { "popqa", "f1_match", 1000, 1000 },
        { "pubmedqa", "exact_match", 500, 500 }, { "sciencemeter", "multiple_choice", 1000, 1000 },
        { "sciriff", "exact_match", 114, 139 }, { "tablemwp_free_text", "exact_match", 375, 376 },
        { "tablemwp_multiple_choice", "multiple_choice", 124, 125 }, { "theoremqa", "exact_match", 400, 400 },
        { "truthfulqa", "multiple_choice", 200, 617 }, { "wikidyk", "f1_match", 1000, 765 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Sizes_and_types_match_the_table_and_every_item_fits(string task, string type, int dev, int test)
    {
        var file = TestData.File(task);
        Assert.Equal(type, file.DeclaredType);
        Assert.Equal((dev, test), (file.Items(DatasetSplit.Dev).Count, file.Items(DatasetSplit.Test).Count));
        Assert.True(TaskTypeNames.TryParse(type, out var parsed));
        foreach (var split in file.Splits)
        {
            var report = file.Validate(split, parsed);
            Assert.True(report.Valid, string.Join("\n", report.Errors.Take(3).Select(e => e.Description)));
        }
    }

    [Fact]
    public void Every_shared_dataset_is_in_the_table() =>
        Assert.Equal(Table.Select(row => (string)row[0]).Order(), Directory.EnumerateFiles(TestData.Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order()!);

    private static IReadOnlyList<DatasetWarning> Warnings(string task, DatasetSplit split, string code) =>
        TestData.File(task).Validate(split, TaskTypeNames.TryParse(TestData.File(task).DeclaredType, out var t) ? t : default)
            .Warnings.Where(w => w.Code == code).ToList();

    [Fact]
    public void Documented_warnings_appear_where_the_spec_says()
    {
        Assert.Equal([89, 97, 156, 234], Warnings("arc_challenge", DatasetSplit.Dev, "mc_non_letter_keys").Select(w => w.Index!.Value));
        Assert.Equal(22, Warnings("arc_challenge", DatasetSplit.Test, "mc_non_letter_keys").Count);
        Assert.Equal((56, 47), (Warnings("tablemwp_multiple_choice", DatasetSplit.Dev, "mc_non_letter_keys").Count,
            Warnings("tablemwp_multiple_choice", DatasetSplit.Test, "mc_non_letter_keys").Count));
        Assert.Equal((7, 5), (Warnings("math", DatasetSplit.Dev, "invalid_gold").Count, Warnings("math", DatasetSplit.Test, "invalid_gold").Count));
        Assert.Equal([39, 480], Warnings("mbpp", DatasetSplit.Test, "no_tests").Select(w => w.Index!.Value));
        var optionNull = Assert.Single(Warnings("culturalbench_hard", DatasetSplit.Dev, "option_null"));
        Assert.Equal((221, "choices.D"), (optionNull.Index!.Value, optionNull.Field));
    }

    [Theory]
    [InlineData("agieval", "agieval_tiny", 40, 40)]
    [InlineData("human_interest", "human_interest_tiny", 58, 112)]
    public void A_limit_gives_the_tiny_prefix_files(string task, string tiny, int dev, int test)
    {
        var views = new ViewResolver(new DatasetLocator([TestData.Directory]), new DatasetCache());
        foreach (var (split, n) in new[] { (DatasetSplit.Dev, dev), (DatasetSplit.Test, test) })
        {
            var view = views.Open(new ViewRequest(task, split, null, n, null, null, []));
            var small = TestData.File(tiny).Items(split);
            Assert.Equal(SelectionKind.Prefix, view.Selection);
            Assert.Equal(small.Select(i => i.Json.GetRawText()), view.Indices.Select(i => view.Items[i].Json.GetRawText()));
        }
    }

    [Fact]
    public void Repeated_ids_are_reported()
    {
        var views = new ViewResolver(new DatasetLocator([TestData.Directory]), new DatasetCache());
        foreach (var task in new[] { "blend", "math" })
        {
            Assert.False(views.Open(new ViewRequest(task, DatasetSplit.Test, null, null, null, null, [])).IdsUnique, task);
        }
        Assert.True(views.Open(new ViewRequest("gsm8k", DatasetSplit.Test, null, null, null, null, [])).IdsUnique);
    }

    [Fact]
    public void Culturebench_groups_by_question_id_and_a_cut_group_is_completed()
    {
        var views = new ViewResolver(new DatasetLocator([TestData.Directory]), new DatasetCache());
        var view = views.Open(new ViewRequest("culturebench", DatasetSplit.Dev, null, 5, null, null, []));
        Assert.Equal("question_id", view.GroupField);
        Assert.InRange(view.Indices.Length, 5, 8);
        var groups = view.Indices.Select(i => view.Items[i].Text("question_id")).Distinct().ToList();
        var whole = view.Items.Where(i => groups.Contains(i.Text("question_id"))).Select(i => i.Index);
        Assert.Equal(whole, view.Indices);
    }
}
