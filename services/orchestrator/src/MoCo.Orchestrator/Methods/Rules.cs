using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods;

/// <summary>Cross-key rules shared by several methods (config-and-cli.md §1.3), each reporting CFG010 with a fix.</summary>
internal static class Rules
{
    /// <summary>A list-valued key, when not null, has one entry per model.</summary>
    public static Action<RuleContext> OnePerModel(string key) => c =>
    {
        var v = c[key];
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() != c.N)
        {
            c.Fail(key, $"has {v.GetArrayLength()} entries but there are {c.N} models", $"give one entry per model_names entry ({c.N})");
        }
    };

    /// <summary>An integer key lies in [lo(n), hi(n)].</summary>
    public static Action<RuleContext> IntWithin(string key, Func<int, long> lo, Func<int, long> hi, string what) => c =>
    {
        if (JsonValues.TryInt(c[key], out var v) && (v < lo(c.N) || v > hi(c.N)))
        {
            c.Fail(key, $"{v} is outside [{lo(c.N)}, {hi(c.N)}] for {c.N} models ({what})", $"use a value from {lo(c.N)} to {hi(c.N)}");
        }
    };

    /// <summary>Model indices point into model_names.</summary>
    public static Action<RuleContext> ModelIndex(string key) => IntWithin(key, _ => 0, n => n - 1, "an index into model_names");

    /// <summary>The values of keys that hold numbers (lists included) are finite and not all zero.</summary>
    public static Action<RuleContext> NotAllZero(string key) => c =>
    {
        var v = c[key];
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.GetDouble() == 0))
        {
            c.Fail(key, "every weight is 0", "give at least one non-zero weight");
        }
    };
}
