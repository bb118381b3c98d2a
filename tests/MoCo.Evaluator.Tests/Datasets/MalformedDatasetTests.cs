using Grpc.Core;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;

namespace MoCo.Evaluator.Tests.Datasets;

/// <summary>evaluation.md §1.3: malformed data gives errors naming file, split, index and field (and line and column
/// for JSON syntax), every problem listed.</summary>
public sealed class MalformedDatasetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("moco-eval-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_folder, name + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private EvaluatorException Open(string task, DatasetSplit split = DatasetSplit.Test, TaskType? type = null) =>
        Assert.Throws<EvaluatorException>(() =>
            new ViewResolver(new DatasetLocator([_folder]), new DatasetCache()).Open(new ViewRequest(task, split, type, null, null, null, [])));

    private static string Items(int count, Func<int, string> item) => "[" + string.Join(",", Enumerable.Range(0, count).Select(item)) + "]";

    [Fact]
    public void Choices_as_an_array_names_file_split_index_and_field()
    {
        var test = Items(18, i => i == 17
            ? """{"question": "q", "choices": ["x", "y"], "answer": "A"}"""
            : """{"question": "q", "choices": {"A": "x", "B": "y"}, "answer": "A"}""");
        Write("mydata", $$"""{"task_type": "multiple_choice", "dev": [], "test": {{test}}}""");
        var e = Open("mydata");
        Assert.Equal(StatusCode.InvalidArgument, e.Code);
        var problem = Assert.Single(e.Problems);
        Assert.Equal("mydata.json: test[17].choices: expected an object mapping option labels to text, got an array", problem.Description);
        Assert.Equal("test[17].choices", problem.Field);
        Assert.Equal(Reasons.InvalidDataset, problem.Reason);
    }

    [Fact]
    public void A_syntax_error_gives_line_and_column()
    {
        Write("broken", "{\n  \"task_type\": \"exact_match\",\n  \"test\": [ {\"input\": \"q\" \"output\": \"a\"} ]\n}");
        var e = Open("broken");
        Assert.StartsWith("broken.json:3:", e.Problems[0].Description);
        Assert.Contains("invalid JSON", e.Message);
        Assert.Matches(@"broken\.json:3:\d+:", e.Message);
    }

    [Fact]
    public void Every_problem_is_listed_first_twenty_in_the_message()
    {
        Write("many", $$"""{"task_type": "exact_match", "test": {{Items(30, _ => """{"input": 5, "output": true}""")}}}""");
        var e = Open("many");
        Assert.Equal(60, e.Problems.Count);
        Assert.Contains("… and 40 more", e.Message);
        Assert.Contains("many.json: test[0].input: expected a string, got a number", e.Message);
        Assert.Contains("many.json: test[0].output: expected a string, a number or an array of strings, got a boolean", e.Message);
        var rpc = e.ToRpcException();
        Assert.Equal(21, MoCo.Hosting.Errors.MocoErrors.FieldViolations(rpc).Count);
    }

    [Fact]
    public void Non_python_coding_items_are_refused_at_load()
    {
        Write("code", """{"task_type": "coding", "test": [{"input": "x", "test": "def check(c): pass", "language": "javascript"}]}""");
        var problem = Assert.Single(Open("code").Problems);
        Assert.Equal("test[0].language", problem.Field);
        Assert.Contains("\"javascript\" is not supported", problem.Description);
    }

    [Fact]
    public void Structural_problems_name_the_split_and_item()
    {
        Write("shape", """{"task_type": "exact_match", "dev": {"a": 1}, "test": [1, {"input": "q", "output": "a"}]}""");
        var e = Open("shape");
        Assert.Contains(e.Problems, p => p.Description == "shape.json: dev: expected an array of items, got an object");
        Assert.Contains(e.Problems, p => p.Description == "shape.json: test[0]: expected an item object, got a number");
    }

    [Fact]
    public void Unknown_tasks_and_missing_splits_are_not_found_with_suggestions()
    {
        Write("gsm8k_small", """{"task_type": "exact_match", "test": [{"input": "q", "output": "1"}]}""");
        var unknown = Open("gsm8k_smal");
        Assert.Equal(StatusCode.NotFound, unknown.Code);
        Assert.Contains("did you mean \"gsm8k_small\"", unknown.Message);
        var split = Open("gsm8k_small", DatasetSplit.Dev);
        Assert.Equal((StatusCode.NotFound, Reasons.SplitNotFound), (split.Code, split.Problems[0].Reason));
    }

    [Fact]
    public void A_dataset_unfit_for_the_requested_type_lists_the_missing_fields()
    {
        Write("qa", """{"task_type": "exact_match", "test": [{"input": "q", "output": "a"}]}""");
        var e = Open("qa", type: TaskType.MultipleChoice);
        Assert.Contains(e.Problems, p => p.Field == "test[0].question");
        Assert.Contains(e.Problems, p => p.Field == "test[0].choices");
    }
}
