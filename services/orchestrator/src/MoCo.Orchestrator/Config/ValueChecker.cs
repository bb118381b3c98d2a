using System.Text.Json;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Config;

/// <summary>Checks one value against its <see cref="ParamSpec"/> — type (CFG003), range and enum (CFG004) — and returns
/// it normalised (integral floats to ints, 0/1 to booleans), or null when it is invalid.</summary>
internal static class ValueChecker
{
    public static JsonElement? Check(ParamSpec spec, JsonElement value, string path, ProblemSink sink)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (spec.Nullable)
            {
                return value;
            }
            sink.Error(ConfigCodes.Type, path, $"expected {Expected(spec)}, got null", Example(spec));
            return null;
        }
        switch (spec.Type)
        {
            case ParamType.Int:
            case ParamType.Number:
            case ParamType.Bool:
            case ParamType.String:
            case ParamType.Model:
            case ParamType.Path:
            case ParamType.Enum:
                return Scalar(spec, spec.Type, value, path, sink);
            case ParamType.NumberOrList when value.ValueKind != JsonValueKind.Array:
                return Scalar(spec, ParamType.Number, value, path, sink);
            default:
                return List(spec, value, path, sink);
        }
    }

    private static JsonElement? Scalar(ParamSpec spec, ParamType type, JsonElement value, string path, ProblemSink sink)
    {
        switch (type)
        {
            case ParamType.Int:
                if (!JsonValues.TryInt(value, out var n))
                {
                    return TypeError(spec, value, path, sink);
                }
                return InRange(spec, n, value, path, sink) ? JsonValues.Of(n) : null;
            case ParamType.Number:
                if (!JsonValues.TryNumber(value, out var d))
                {
                    return TypeError(spec, value, path, sink);
                }
                // Integers stay integers (a log echoes the config as written; effective values only need the number).
                return InRange(spec, d, value, path, sink) ? value : null;
            case ParamType.Bool:
                return JsonValues.TryBool(value, out var b) ? JsonValues.Of(b) : TypeError(spec, value, path, sink);
            case ParamType.Enum:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return TypeError(spec, value, path, sink);
                }
                var s = value.GetString()!;
                if (spec.NotImplementedValues.Contains(s))
                {
                    sink.Error(ConfigCodes.Range, path, $"\"{s}\" is not implemented (the reference raises NotImplementedError too)",
                        $"use one of {Quoted(spec.Values.Except(spec.NotImplementedValues))}");
                    return null;
                }
                if (!spec.Values.Contains(s))
                {
                    sink.Error(ConfigCodes.Range, path, $"unknown value \"{s}\"; allowed: {Quoted(spec.Values)}",
                        $"{NearMatch.Hint(NearMatch.Find(s, spec.Values))}write one of {Quoted(spec.Values)}");
                    return null;
                }
                return value;
            default:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return TypeError(spec, value, path, sink);
                }
                if (type == ParamType.Model && value.GetString()!.Trim().Length == 0 && spec.EmptyMeansDefault)
                {
                    return NullValue;
                }
                if (type == ParamType.Model && value.GetString()!.Trim().Length == 0)
                {
                    sink.Error(ConfigCodes.Range, path, "a model name cannot be empty", "write a hub id, a catalogue name or a model folder");
                    return null;
                }
                return value;
        }
    }

    private static readonly JsonElement NullValue = JsonDocument.Parse("null").RootElement.Clone();

    private static JsonElement? List(ParamSpec spec, JsonElement value, string path, ProblemSink sink)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return TypeError(spec, value, path, sink);
        }
        if (spec.Length is { } length && value.GetArrayLength() != length)
        {
            sink.Error(ConfigCodes.Range, path, $"expected {length} entries, got {value.GetArrayLength()}", $"give exactly {length} entries");
            return null;
        }
        var element = spec.Type switch
        {
            ParamType.StringList => ParamType.String,
            ParamType.ModelList => ParamType.Model,
            ParamType.Matrix01 => ParamType.NumberList,
            _ => ParamType.Number,
        };
        var ok = true;
        var items = new List<JsonElement>();
        var i = 0;
        foreach (var entry in value.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            JsonElement? checkedEntry = spec.Type == ParamType.Matrix01 ? Row(entry, at, sink) : Scalar(spec, element, entry, at, sink);
            ok &= checkedEntry is not null;
            if (checkedEntry is { } c)
            {
                items.Add(c);
            }
        }
        return ok ? JsonValues.Of(items) : null;
    }

    private static JsonElement? Row(JsonElement row, string path, ProblemSink sink)
    {
        if (row.ValueKind != JsonValueKind.Array || row.EnumerateArray().Any(e => !JsonValues.TryInt(e, out var v) || v is not (0 or 1)))
        {
            sink.Error(ConfigCodes.Type, path, $"expected a row of 0/1, got {JsonValues.Describe(row)}", "write each row as a list of 0 and 1, e.g. [0, 1, 0]");
            return null;
        }
        return JsonValues.Of(row.EnumerateArray().Select(e => e.GetDouble() == 1 ? 1 : 0).ToArray());
    }

    private static bool InRange(ParamSpec spec, double v, JsonElement value, string path, ProblemSink sink)
    {
        if (spec.InRange(v))
        {
            return true;
        }
        sink.Error(ConfigCodes.Range, path, $"expected {Expected(spec)}, got {JsonValues.Describe(value)}", $"use a value {spec.RangeText()}");
        return false;
    }

    private static JsonElement? TypeError(ParamSpec spec, JsonElement value, string path, ProblemSink sink)
    {
        sink.Error(ConfigCodes.Type, path, $"expected {Expected(spec)}, got {JsonValues.Describe(value)}", Example(spec));
        return null;
    }

    /// <summary>"integer >= 1", "one of "a", "b"", "list of numbers".</summary>
    public static string Expected(ParamSpec spec)
    {
        var what = spec.Type == ParamType.Enum ? $"one of {Quoted(spec.Values)}" : spec.Type.Describe();
        var range = spec.RangeText();
        return (range.Length > 0 ? $"{what} {range}" : what) + (spec.Nullable ? " or null" : "");
    }

    private static string Example(ParamSpec spec)
    {
        var sample = spec.Default is { Text: not "null" } d ? d.Text : spec.Type switch
        {
            ParamType.Int => "1",
            ParamType.Number => "0.5",
            ParamType.Bool => "true",
            ParamType.Enum => $"\"{spec.Values.FirstOrDefault()}\"",
            ParamType.StringList or ParamType.ModelList => "[\"…\"]",
            ParamType.NumberList or ParamType.NumberOrList => "[0.5, 0.5]",
            ParamType.Matrix01 => "[[0, 1], [0, 0]]",
            _ => "\"…\"",
        };
        if (sample.StartsWith("gpu_ids", StringComparison.Ordinal) || sample.Contains(' ', StringComparison.Ordinal) && !sample.StartsWith('"'))
        {
            sample = spec.Type == ParamType.Int ? "0" : "\"…\"";
        }
        var how = spec.Type switch
        {
            ParamType.Int => "write a whole number without quotes",
            ParamType.Number => "write a number without quotes",
            ParamType.Bool => "write true or false",
            ParamType.Enum => $"write one of {Quoted(spec.Values)}",
            ParamType.StringList or ParamType.ModelList or ParamType.NumberList or ParamType.Matrix01 => "write a JSON list",
            _ => "write a quoted string",
        };
        return $"{how}, e.g. \"{spec.Name}\": {sample}";
    }

    /// <summary>"a", "b", "c".</summary>
    public static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));
}
