namespace MoCo.Orchestrator.Methods;

/// <summary>Short constructors for the registry's key tables, so each method reads like its row of
/// config-and-cli.md §1.3.</summary>
internal static class P
{
    public static ParamSpec Int(string name, long value, double? min = null, double? max = null) =>
        new(name, ParamType.Int) { Default = ParamDefault.Constant(value), Min = min, Max = max };

    public static ParamSpec Num(string name, double value, double? min = null, double? max = null, bool minExclusive = false, bool maxExclusive = false) =>
        new(name, ParamType.Number) { Default = ParamDefault.Constant(value), Min = min, Max = max, MinExclusive = minExclusive, MaxExclusive = maxExclusive };

    public static ParamSpec Bool(string name, bool value) => new(name, ParamType.Bool) { Default = ParamDefault.Constant(value) };

    public static ParamSpec Str(string name, string value) => new(name, ParamType.String) { Default = ParamDefault.Constant(value) };

    public static ParamSpec Enum(string name, string value, params string[] values) =>
        new(name, ParamType.Enum) { Default = ParamDefault.Constant(value), Values = values };

    public static ParamSpec Model(string name, string? value) => value is null
        ? new(name, ParamType.Model) { Default = ParamDefault.Null, Nullable = true }
        : new(name, ParamType.Model) { Default = ParamDefault.Constant(value) };

    public static ParamSpec Path(string name, string value) => new(name, ParamType.Path) { Default = ParamDefault.Constant(value) };

    public static ParamSpec Required(string name, ParamType type) => new(name, type) { Required = true };

    // A GPU index key that places the model of modelKey through the gpu_ids map (config-and-cli.md §2.3); default gpu_ids[0], 0 for [] (auto).
    public static ParamSpec GpuOf(string name, string modelKey) =>
        Derived(name, ParamType.Int, "gpu_ids[0]", c => Config.JsonValues.Of(c.GpuIds.Count > 0 ? c.GpuIds[0] : 0)) with { PlacesModel = modelKey };

    public static ParamSpec Derived(string name, ParamType type, string text, Func<DefaultContext, System.Text.Json.JsonElement> compute) =>
        new(name, type) { Default = new ParamDefault(text, compute) };
}
