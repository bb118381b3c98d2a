using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Api.CoLlm;

/// <summary>One CoLLM training row (methods-api.md §8 step 1): its id `{split}_{index}`, the problem and the gold
/// solution, and the row's other fields (the reference keeps `level` and `type`).</summary>
public sealed record CoLlmRow(string Id, string Problem, string Solution, JsonObject Fields);

/// <summary>
/// Where api_collm's `training_dataset_name` comes from, resolved locally (the reference downloads it from the Hub): the
/// run's own task — its `training_split` must then be "dev", since training on test would leak the answers — gives each
/// item's formatted prompt as the problem and its gold answer, in the form the prompt asks for, as the solution; any other name is a folder or file on the
/// data path (the config's `evaluation.data_dirs`, then MOCO_DATA_DIR and the default folders): `{name}/{split}.jsonl`,
/// `{name}/{split}.json` (an array) or `{name}.json` (an object of splits), rows with `problem` and `solution`. The
/// first `training_num` rows are used, in order, as the reference does.
/// </summary>
public static class CoLlmTrainingData
{
    /// <summary>The split a MoCo task offers for training.</summary>
    public const string TaskSplit = "dev";

    /// <summary>The rows of the config's training set.</summary>
    public static async Task<IReadOnlyList<CoLlmRow>> LoadAsync(MethodContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var name = hyper.String("training_dataset_name")!;
        var split = hyper.String("training_split")!;
        var count = (int)hyper.Int("training_num");
        if (name == config.Task)
        {
            if (split != TaskSplit)
            {
                throw new InvalidOperationException($"hyperparameters.training_split \"{split}\": training on the run's own task {name} uses its dev split " +
                    "(the test split is what the run is scored on); set training_split to \"dev\"");
            }
            var dev = await context.Data.DevAsync(1.0, includeGold: true, cancellationToken).ConfigureAwait(false);
            return [.. dev.Items.Take(count).Select((item, i) => new CoLlmRow(Id(split, i), item.Prompt, Solution(config.TaskType, item), new JsonObject()))
                .Where(r => r.Solution.Length > 0)];
        }
        return [.. Read(name, split, Search(config)).Take(count)];
    }

    /// <summary>A task item's solution in the form its prompt asks for: `\box{gold}` for exact_match and f1_match (the
    /// evaluator's prompt asks for that literal form), the option's letter for multiple_choice, else the gold text
    /// (empty when the item has none, e.g. coding: such rows are not trained on).</summary>
    public static string Solution(string taskType, MoCo.Orchestrator.Methods.Primitives.TaskItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return taskType switch
        {
            "exact_match" or "f1_match" when item.Gold is { } gold => "\\box{" + gold + "}",
            "multiple_choice" => item.Gold ?? "",
            _ => item.GoldText ?? item.Gold ?? "",
        };
    }

    /// <summary>The reference's `{split}_{index}` row id.</summary>
    public static string Id(string split, int index) => split + "_" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The folders searched for a named training set, in order.</summary>
    public static IReadOnlyList<string> Search(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var own = config.Evaluation.DataDirs.Select(d => Path.IsPathRooted(d) || config.ConfigDirectory is null ? d : Path.Combine(config.ConfigDirectory, d));
        return [.. own, .. new MoCo.Hosting.MocoEnvironment().DataDirectories];
    }

    /// <summary>The rows of <paramref name="name"/>'s <paramref name="split"/>, from the first folder of
    /// <paramref name="search"/> that has them.</summary>
    public static IEnumerable<CoLlmRow> Read(string name, string split, IReadOnlyList<string> search)
    {
        ArgumentNullException.ThrowIfNull(search);
        var tried = new List<string>();
        foreach (var dir in search)
        {
            var folder = Path.Combine(dir, name);
            var (jsonl, json, whole) = (Path.Combine(folder, split + ".jsonl"), Path.Combine(folder, split + ".json"), folder + ".json");
            tried.AddRange([jsonl, json, whole]);
            if (File.Exists(jsonl))
            {
                return Rows(File.ReadLines(jsonl).Where(l => l.Trim().Length > 0).Select((l, i) => Parse(l, $"{jsonl}:{i + 1}")), split, jsonl);
            }
            if (File.Exists(json))
            {
                return Rows(Parse(File.ReadAllText(json), json) as JsonArray ?? throw Malformed(json, "an array of rows"), split, json);
            }
            if (File.Exists(whole))
            {
                var splits = Parse(File.ReadAllText(whole), whole) as JsonObject ?? throw Malformed(whole, "an object of splits");
                return Rows(splits[split] as JsonArray ?? throw new InvalidOperationException(
                    $"hyperparameters.training_split \"{split}\": {whole} has no such split; use one of {string.Join(", ", splits.Select(p => p.Key))}"), split, whole);
            }
        }
        throw new InvalidOperationException($"hyperparameters.training_dataset_name \"{name}\" (split \"{split}\") is not on the data path: tried " +
            $"{string.Join(", ", tried)}; put its rows (`problem`, `solution`) in one of those files, add its folder to evaluation.data_dirs, " +
            "or name the run's own task to train on its dev split");
    }

    private static IEnumerable<CoLlmRow> Rows(IEnumerable<JsonNode?> rows, string split, string source) => rows.Select((row, i) =>
    {
        var fields = row as JsonObject ?? throw Malformed($"{source} row {i}", "an object");
        var problem = fields["problem"]?.GetValueKind() == JsonValueKind.String ? (string)fields["problem"]! : throw Malformed($"{source} row {i}", "a string `problem`");
        var solution = fields["solution"]?.GetValueKind() == JsonValueKind.String ? (string)fields["solution"]! : throw Malformed($"{source} row {i}", "a string `solution`");
        var rest = new JsonObject();
        foreach (var (key, value) in fields.Where(p => p.Key is not ("problem" or "solution")))
        {
            rest[key] = value?.DeepClone();
        }
        return new CoLlmRow(Id(split, i), problem, solution, rest);
    });

    private static JsonNode? Parse(string text, string where)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"api_collm training data {where} is not JSON: {e.Message}", e);
        }
    }

    private static InvalidOperationException Malformed(string where, string expected) =>
        new($"api_collm training data {where} is not {expected}; rows need string fields `problem` and `solution`");
}
