using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>LLM-Blender's dev training records (methods-text.md §3 "Training"): ranker pairs labelled by the higher dev
/// score, fuser prompts over the dev-best candidates with the gold as completion, and their JSONL side files.</summary>
public static class LlmBlenderTraining
{
    private static readonly JsonSerializerOptions Jsonl = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One record per dev item and pair i &lt; j with unequal scores: the judge prompt, completion "A" when
    /// candidate i scored higher, else "B".</summary>
    /// <param name="dev">The dev split.</param>
    /// <param name="candidates">Per item, each model's answer.</param>
    /// <param name="scores">Per item, each model's dev score.</param>
    public static IReadOnlyList<SftExample> RankerRecords(TaskSplit dev, IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<double>> scores)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(scores);
        var records = new List<SftExample>();
        for (var k = 0; k < dev.Items.Count; k++)
        {
            foreach (var (i, j) in LlmBlender.Pairs(candidates[k].Count).Where(p => scores[k][p.I] != scores[k][p.J]))
            {
                records.Add(new SftExample(LlmBlender.PairPrompt(dev.Items[k].Prompt, candidates[k][i], candidates[k][j]), scores[k][i] > scores[k][j] ? "A" : "B"));
            }
        }
        return records;
    }

    /// <summary>One record per dev item: the fusion prompt over the first min(top_k, n) models by dev score (stable,
    /// descending), completion = the gold answer (<see cref="Gold"/>), else the best candidate's text.</summary>
    /// <param name="taskType">The config's task type.</param>
    /// <param name="dev">The dev split, with gold.</param>
    /// <param name="models">The model names.</param>
    /// <param name="candidates">Per item, each model's answer.</param>
    /// <param name="scores">Per item, each model's dev score.</param>
    /// <param name="topK">top_k as configured (not clamped below).</param>
    public static IReadOnlyList<SftExample> FuserRecords(string taskType, TaskSplit dev, IReadOnlyList<string> models, IReadOnlyList<IReadOnlyList<string>> candidates,
        IReadOnlyList<IReadOnlyList<double>> scores, int topK)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(scores);
        return [.. dev.Items.Select((item, k) =>
        {
            var top = LlmBlender.TopK(scores[k], Math.Min(topK, models.Count));
            var prompt = LlmBlender.FusionPrompt(item.Prompt, [.. top.Select(i => (models[i], candidates[k][i]))]);
            var gold = Gold(taskType, item);
            return new SftExample(prompt, string.IsNullOrEmpty(gold) ? candidates[k][top[0]] : gold);
        })];
    }

    /// <summary>The fuser's target: multiple choice → the right option's text; exact match, reward model and text
    /// generation → `output`; F1 → the first element when `output` is a JSON list, else `output`; other types → none.</summary>
    public static string? Gold(string taskType, TaskItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return taskType switch
        {
            "multiple_choice" => item.GoldText,
            "exact_match" or "reward_model" or "text_generation" => item.Gold,
            "f1_match" => FirstOfList(item.Gold),
            _ => null,
        };
    }

    /// <summary>Writes <paramref name="records"/> as JSONL `{"prompt", "completion"}` to <paramref name="path"/>,
    /// replacing the file, and creates its folder.</summary>
    public static void Write(string path, IReadOnlyList<SftExample> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, records.Select(r => new JsonObject { ["prompt"] = r.Prompt, ["completion"] = r.Completion }.ToJsonString(Jsonl)));
    }

    private static string? FirstOfList(string? output)
    {
        if (output is not { Length: > 0 } || output[0] != '[')
        {
            return output;
        }
        try
        {
            return JsonNode.Parse(output) is JsonArray { Count: > 0 } list && list[0] is { } first
                ? first.GetValueKind() == JsonValueKind.String ? first.GetValue<string>() : first.ToJsonString()
                : output;
        }
        catch (JsonException)
        {
            return output;
        }
    }
}
