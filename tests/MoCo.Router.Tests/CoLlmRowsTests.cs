using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>Where api_collm's training rows come from (methods-api.md §8 step 1, resolved locally): a split file in a
/// folder named like the dataset, or one file of splits, on the data path; the first folder that has it wins; rows
/// need string `problem` and `solution`; a name nowhere on the path says where it looked.</summary>
public sealed class CoLlmRowsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "moco-collm-data-" + Guid.NewGuid().ToString("N")[..8]);

    public CoLlmRowsTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name)
    {
        var dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void A_jsonl_split_in_the_datasets_folder_gives_rows_with_ids_and_their_other_fields()
    {
        var data = Dir("a");
        Directory.CreateDirectory(Path.Combine(data, "org", "math"));
        File.WriteAllLines(Path.Combine(data, "org", "math", "train.jsonl"),
            ["""{"problem": "1+1?", "solution": "2", "level": "Level 1", "type": "Algebra"}""", "", """{"problem": "2+2?", "solution": "4"}"""]);

        var rows = CoLlmRows.Read("org/math", "train", [Dir("empty"), data]).ToList();

        Assert.Equal(["train_0", "train_1"], rows.Select(r => r.Id));
        Assert.Equal(("1+1?", "2"), (rows[0].Problem, rows[0].Solution));
        Assert.Equal("Algebra", (string)rows[0].Fields["type"]!);
        Assert.Empty(rows[1].Fields);
    }

    [Fact]
    public void A_file_of_splits_serves_the_named_split_and_names_the_others_when_it_lacks_it()
    {
        var data = Dir("b");
        File.WriteAllText(Path.Combine(data, "sums.json"), """{"train": [{"problem": "3+4?", "solution": "7"}], "test": []}""");

        Assert.Equal("7", Assert.Single(CoLlmRows.Read("sums", "train", [data])).Solution);
        var missing = Assert.Throws<InvalidOperationException>(() => CoLlmRows.Read("sums", "validation", [data]).ToList());
        Assert.Contains("train, test", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_rows_and_unknown_names_say_what_is_wrong_and_where_it_looked()
    {
        var data = Dir("c");
        Directory.CreateDirectory(Path.Combine(data, "broken"));
        File.WriteAllText(Path.Combine(data, "broken", "train.json"), """[{"problem": "x", "answer": "y"}]""");

        var bad = Assert.Throws<InvalidOperationException>(() => CoLlmRows.Read("broken", "train", [data]).ToList());
        Assert.Contains("`solution`", bad.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<InvalidOperationException>(() => CoLlmRows.Read("nope/data", "train", [data]).ToList());
        Assert.Contains("hyperparameters.training_dataset_name", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(data, "nope", "data", "train.jsonl"), unknown.Message, StringComparison.Ordinal);
    }
}
