using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Logs;

/// <summary>Builders of the reference summary object (config-and-cli.md §3.2) so each method writes its keys in the
/// reference's order: T = task, task_type; A = T, model_names, hyperparameters, avg_test_score, logs.</summary>
public static class ReferenceSummary
{
    /// <summary>The A shape: {task, task_type, model_names, hyperparameters, avg_test_score, logs}.</summary>
    public static JsonObject Standard(RunConfig config, JsonNode avgTestScore, JsonArray logs)
    {
        var summary = Head(config);
        summary["model_names"] = ModelNames(config);
        summary["hyperparameters"] = Hyperparameters(config);
        summary["avg_test_score"] = avgTestScore;
        summary["logs"] = logs;
        return summary;
    }

    /// <summary>T: {task, task_type}; the caller appends the method's keys in order.</summary>
    public static JsonObject Head(RunConfig config) => new() { ["task"] = config.Task, ["task_type"] = config.TaskType };

    /// <summary>{task, task_type, method, model_names, hyperparameters}: the opening of the methods whose log names
    /// itself (majority vote, llm_blender, slm_mux…); the caller appends the rest in order.</summary>
    public static JsonObject Named(RunConfig config, string method)
    {
        var summary = Head(config);
        summary["method"] = method;
        summary["model_names"] = ModelNames(config);
        summary["hyperparameters"] = Hyperparameters(config);
        return summary;
    }

    /// <summary>model_names as written.</summary>
    public static JsonArray ModelNames(RunConfig config) => new([.. config.ModelNames.Select(m => (JsonNode?)JsonValue.Create(m))]);

    /// <summary>The config's hyperparameters object re-serialised (same keys, order and number forms), not effective values.</summary>
    public static JsonNode Hyperparameters(RunConfig config) => JsonNode.Parse(config.Hyperparameters.Written.GetRawText())!;

    /// <summary>An item {input, output, score}.</summary>
    public static JsonObject Item(string input, string output, JsonNode? score) => new() { ["input"] = input, ["output"] = output, ["score"] = score };

    /// <summary>A score as Python would hold it: a float (1.0), or an int where the reference computes one (text_generation's 0).</summary>
    public static JsonNode Score(double value, bool integral = false) => integral ? JsonValue.Create((long)value) : JsonValue.Create(value);

    /// <summary>Parses JSON text into a node (e.g. stored extras).</summary>
    public static JsonNode? Parse(string json) => JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
}
