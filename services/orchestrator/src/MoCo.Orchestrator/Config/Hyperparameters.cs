using System.Text.Json;

namespace MoCo.Orchestrator.Config;

/// <summary>A validated `hyperparameters` object: the object as written (logs echo it verbatim, config-and-cli.md §3.1)
/// and the effective value of every key the method reads, defaults filled and types normalised.</summary>
public sealed class Hyperparameters(JsonElement written, IReadOnlyList<KeyValuePair<string, JsonElement>> effective)
{
    private readonly Dictionary<string, JsonElement> _effective = effective.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>The object as written (aliases included), in file order.</summary>
    public JsonElement Written { get; } = written;

    /// <summary>Every effective key and value: the method's keys, then the general keys (config.resolved.json order).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonElement>> Effective { get; } = effective;

    /// <summary>The effective value of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">Not a key of the method.</exception>
    public JsonElement this[string key] => _effective.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"no hyperparameter \"{key}\"");

    /// <summary>Whether the effective value of <paramref name="key"/> is null.</summary>
    public bool IsNull(string key) => this[key].ValueKind == JsonValueKind.Null;

    /// <summary>An integer key.</summary>
    public long Int(string key) => this[key].GetInt64();

    /// <summary>A number key.</summary>
    public double Number(string key) => this[key].GetDouble();

    /// <summary>A boolean key.</summary>
    public bool Bool(string key) => this[key].GetBoolean();

    /// <summary>A string, enum, model or path key; null when null.</summary>
    public string? String(string key) => IsNull(key) ? null : this[key].GetString();

    /// <summary>A list of numbers; null when null.</summary>
    public IReadOnlyList<double>? Numbers(string key) => IsNull(key) ? null : [.. this[key].EnumerateArray().Select(e => e.GetDouble())];

    /// <summary>A list of strings; null when null.</summary>
    public IReadOnlyList<string>? Strings(string key) => IsNull(key) ? null : [.. this[key].EnumerateArray().Select(e => e.GetString()!)];
}
