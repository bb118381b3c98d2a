using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>What a cross-key rule sees: effective hyperparameters (defaults filled), which keys were written, the
/// models, task type, compat mode, and the sink to report to.</summary>
public sealed class RuleContext(MethodDescriptor method, IReadOnlyDictionary<string, JsonElement> effective, IReadOnlySet<string> written,
    IReadOnlyList<string> modelNames, string? taskType, CompatMode compat, ProblemSink sink)
{
    /// <summary>The method.</summary>
    public MethodDescriptor Method { get; } = method;

    /// <summary>n = len(model_names).</summary>
    public int N => ModelNames.Count;

    /// <summary>model_names as written.</summary>
    public IReadOnlyList<string> ModelNames { get; } = modelNames;

    /// <summary>The effective task type, when known.</summary>
    public string? TaskType { get; } = taskType;

    /// <summary>The compat mode.</summary>
    public CompatMode Compat { get; } = compat;

    /// <summary>Where problems go.</summary>
    public ProblemSink Sink { get; } = sink;

    /// <summary>Whether the config wrote <paramref name="key"/> (as itself or an alias).</summary>
    public bool Written(string key) => written.Contains(key);

    /// <summary>The effective value of <paramref name="key"/>.</summary>
    public JsonElement this[string key] => effective.TryGetValue(key, out var v) ? v : JsonValues.Null;

    /// <summary>Key path of a hyperparameter.</summary>
    public static string PathOf(string key) => $"hyperparameters.{key}";

    /// <summary>A CFG010 error on <paramref name="key"/> (a hyperparameter), or on a top-level path when it contains no dot
    /// and is one of the config's top-level keys.</summary>
    public void Fail(string key, string message, string fix, string code = ConfigCodes.CrossKey) =>
        Sink.Error(code, key is "model_names" or "task_type" or "gpu_ids" ? key : PathOf(key), message, fix);
}
