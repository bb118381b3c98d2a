using System.Globalization;
using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>What a default may depend on: the config's models, gpu_ids, task and compat mode, and other keys'
/// effective values (e.g. fuser_max_response_length = max_response_length).</summary>
public sealed record DefaultContext(IReadOnlyList<string> ModelNames, IReadOnlyList<int> GpuIds, string Task, CompatMode Compat,
    Func<string, JsonElement> Effective);

/// <summary>A key's default: computed from the context, with the text the registry prints (`--list-methods`, schema).</summary>
public sealed record ParamDefault(string Text, Func<DefaultContext, JsonElement> Compute)
{
    /// <summary>A constant.</summary>
    public static ParamDefault Constant<T>(T value) => new(Show(value), _ => JsonValues.Of(value));

    /// <summary>null (the key is optional and null means "the method decides", as the spec states per key).</summary>
    public static ParamDefault Null { get; } = new("null", _ => JsonValues.Null);

    private static string Show<T>(T value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(value),
    };
}

/// <summary>One hyperparameter of a method (config-and-cli.md §1.3): name, type, default, whether it is required,
/// whether null is allowed, enum values, numeric range (on numbers and on list elements) and list length.</summary>
public sealed record ParamSpec(string Name, ParamType Type)
{
    /// <summary>Default; null = required (or no value when absent).</summary>
    public ParamDefault? Default { get; init; }

    /// <summary>Absent → CFG002.</summary>
    public bool Required { get; init; }

    /// <summary>JSON null is a valid value.</summary>
    public bool Nullable { get; init; }

    /// <summary>Enum values (<see cref="ParamType.Enum"/>).</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>Lower bound; <see cref="MinExclusive"/> makes it strict.</summary>
    public double? Min { get; init; }

    /// <summary>Upper bound; <see cref="MaxExclusive"/> makes it strict.</summary>
    public double? Max { get; init; }

    /// <summary>Min is excluded.</summary>
    public bool MinExclusive { get; init; }

    /// <summary>Max is excluded.</summary>
    public bool MaxExclusive { get; init; }

    /// <summary>Exact list length; null = any.</summary>
    public int? Length { get; init; }

    /// <summary>A model key for which "" means "the default" (llm_blender's fuser: "" = model_names[0], methods-text.md §3)
    /// instead of an empty-name error.</summary>
    public bool EmptyMeansDefault { get; init; }

    /// <summary>Enum values that are valid names but not built (logit fusion's `optimized`): CFG004 "not implemented".</summary>
    public IReadOnlyList<string> NotImplementedValues { get; init; } = [];

    /// <summary>A model key whose default the run loads even when the config does not write the key (llm_blender's
    /// ranker): validation resolves that implied model too (config-and-cli.md §1.5), so a missing one fails before any work.</summary>
    public bool LoadedByDefault { get; init; }

    /// <summary>For a GPU index key, the model key whose model it places (ranker_gpu_id: ranker_model_name), through the
    /// gpu_ids map when that rule places the run (config-and-cli.md §2.3); null for every other key.</summary>
    public string? PlacesModel { get; init; }

    /// <summary>One line for help and schema.</summary>
    public string Description { get; init; } = "";

    /// <summary>The range as text, e.g. ">= 1", "in (0, 1]"; empty when unbounded.</summary>
    public string RangeText()
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return (Min, Max) switch
        {
            ({ } lo, { } hi) => $"in {(MinExclusive ? "(" : "[")}{F(lo)}, {F(hi)}{(MaxExclusive ? ")" : "]")}",
            ({ } lo, null) => $"{(MinExclusive ? ">" : ">=")} {F(lo)}",
            (null, { } hi) => $"{(MaxExclusive ? "<" : "<=")} {F(hi)}",
            _ => "",
        };
    }

    /// <summary>True when <paramref name="v"/> is inside the range.</summary>
    public bool InRange(double v) =>
        (Min is not { } lo || (MinExclusive ? v > lo : v >= lo)) && (Max is not { } hi || (MaxExclusive ? v < hi : v <= hi));
}
