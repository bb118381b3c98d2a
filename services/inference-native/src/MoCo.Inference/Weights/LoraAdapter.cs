using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Weights;

/// <summary>One adapted linear module: the base weight it changes and its lora_A / lora_B pair.</summary>
/// <param name="Weight">The base tensor, <c>&lt;path&gt;.weight</c>.</param>
/// <param name="A">lora_A, [r, in] ([r, out] with fan_in_fan_out: then W is stored [in, out]).</param>
/// <param name="B">lora_B, [out, r].</param>
/// <param name="Rank">r of this module (rank_pattern, else r).</param>
/// <param name="Scale">lora_alpha / r, or / √r with use_rslora (alpha_pattern, else lora_alpha).</param>
public sealed record LoraModule(string Weight, SafetensorsTensor A, SafetensorsTensor B, int Rank, float Scale);

/// <summary>
/// A PEFT LoRA adapter folder read for merging (methods-logit-weight.md M9, M10): adapter_config.json and the
/// lora_A / lora_B tensors paired by module. PEFT's key <c>base_model.model.&lt;path&gt;.lora_A.weight</c> adapts the base's
/// <c>&lt;path&gt;.weight</c>. What M9 cannot merge (DoRA, embedding LoRA, LoRA bias, modules_to_save) and every
/// inconsistency is INVALID_ARGUMENT naming the request field of the adapter.
/// </summary>
public sealed class LoraAdapter
{
    private const string Prefix = "base_model.model.";

    private static readonly Regex ModuleKey = new(@"^base_model\.model\.(?<path>.+)\.lora_(?<ab>[AB])(?:\.default)?\.weight$", RegexOptions.CultureInvariant);

    private LoraAdapter(string field, string? baseModel, bool fanInFanOut, IReadOnlyDictionary<string, LoraModule> modules)
    {
        Field = field;
        BaseModel = baseModel;
        FanInFanOut = fanInFanOut;
        Modules = modules;
    }

    /// <summary>The request field naming the adapter, for errors.</summary>
    public string Field { get; }

    /// <summary>base_model_name_or_path, or null when unset.</summary>
    public string? BaseModel { get; }

    /// <summary>fan_in_fan_out: the adapted weights are stored [in, out].</summary>
    public bool FanInFanOut { get; }

    /// <summary>The modules by the base weight each adapts.</summary>
    public IReadOnlyDictionary<string, LoraModule> Modules { get; }

    /// <summary>Whether <paramref name="directory"/> holds an adapter (adapter_config.json).</summary>
    public static bool IsAdapter(string directory) => File.Exists(Path.Combine(directory, ModelFiles.AdapterConfig));

    /// <summary>Reads the adapter in <paramref name="directory"/>, named in the request by <paramref name="field"/>.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming <paramref name="field"/> and what M9/M10 cannot take.</exception>
    public static LoraAdapter Read(string directory, string field)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!IsAdapter(directory))
        {
            throw Invalid(field, $"is not a LoRA adapter (no {ModelFiles.AdapterConfig})");
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ModelFiles.AdapterConfig))) as JsonObject
            ?? throw Invalid(field, $"{ModelFiles.AdapterConfig} is not a JSON object");
        if (Text(config, "peft_type") is not "LORA")
        {
            throw Invalid(field, $"peft_type is {Text(config, "peft_type") ?? "unset"}; only LORA adapters merge");
        }
        Refuse(config, field, "use_dora", n => n.GetValue<bool>(), "DoRA adapters cannot be merged by M9/M10");
        Refuse(config, field, "lora_bias", n => n.GetValue<bool>(), "LoRA biases cannot be merged by M9/M10");
        Refuse(config, field, "bias", n => n.GetValue<string>() != "none", "trained biases (bias other than \"none\") cannot be merged by M9/M10");
        Refuse(config, field, "modules_to_save", n => n is JsonArray { Count: > 0 }, "modules_to_save (fully trained modules) cannot be merged by M9/M10");
        var r = config["r"]?.GetValue<int>() ?? 8;
        var alpha = config["lora_alpha"]?.GetValue<double>() ?? 8.0;
        var rslora = config["use_rslora"]?.GetValue<bool>() ?? false;
        var ranks = config["rank_pattern"] as JsonObject;
        var alphas = config["alpha_pattern"] as JsonObject;

        var pairs = new Dictionary<string, (SafetensorsTensor? A, SafetensorsTensor? B)>(StringComparer.Ordinal);
        foreach (var t in SafetensorsTensors.Read(directory))
        {
            var m = ModuleKey.Match(t.Name);
            if (!m.Success)
            {
                throw Invalid(field, $"tensor '{t.Name}' is not a lora_A/lora_B weight of {Prefix}<module> (embedding LoRA, DoRA magnitudes and saved modules cannot be merged)", t.Name);
            }
            var path = m.Groups["path"].Value;
            var pair = pairs.GetValueOrDefault(path);
            pairs[path] = m.Groups["ab"].Value == "A" ? (t, pair.B) : (pair.A, t);
        }
        if (pairs.Count == 0)
        {
            throw Invalid(field, "the adapter has no lora_A/lora_B tensors");
        }
        var modules = new Dictionary<string, LoraModule>(StringComparer.Ordinal);
        foreach (var (path, (a, b)) in pairs)
        {
            if (a is null || b is null)
            {
                throw Invalid(field, $"module '{path}' has lora_{(a is null ? "B" : "A")} but no lora_{(a is null ? "A" : "B")}", path);
            }
            var rank = Pattern(ranks, path)?.GetValue<int>() ?? r;
            var moduleAlpha = Pattern(alphas, path)?.GetValue<double>() ?? alpha;
            if (a.Shape.Length != 2 || b.Shape.Length != 2 || a.Shape[0] != rank || b.Shape[1] != rank)
            {
                throw Invalid(field, $"module '{path}': rank mismatch: lora_A is [{string.Join(", ", a.Shape)}] and lora_B [{string.Join(", ", b.Shape)}], "
                    + $"but r is {rank} (adapter_config.json r / rank_pattern): A must be [r, in] and B [out, r]", path);
            }
            if (WeightDtypes.ToKernel(a.Dtype) is null || WeightDtypes.ToKernel(b.Dtype) is null)
            {
                throw Invalid(field, $"module '{path}': lora_A is {a.Dtype} and lora_B {b.Dtype}; LoRA weights must be F32, F16 or BF16", path);
            }
            var scale = (float)(rslora ? moduleAlpha / Math.Sqrt(rank) : moduleAlpha / rank);
            modules[path + ".weight"] = new LoraModule(path + ".weight", a, b, rank, scale);
        }
        return new LoraAdapter(field, Text(config, "base_model_name_or_path"), config["fan_in_fan_out"]?.GetValue<bool>() ?? false, modules);
    }

    /// <summary>M10's precondition: the adapters share base, target modules, each module's r and scale, and layout.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT naming the first adapter that differs from the first one.</exception>
    public static void RequireComposable(IReadOnlyList<LoraAdapter> adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var first = adapters[0];
        foreach (var other in adapters.Skip(1))
        {
            var differs =
                other.BaseModel != first.BaseModel ? $"base model '{other.BaseModel}' is not the first adapter's '{first.BaseModel}'"
                : other.FanInFanOut != first.FanInFanOut ? "fan_in_fan_out differs from the first adapter's"
                : !other.Modules.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(first.Modules.Keys) ? "its adapted modules are not the first adapter's"
                : other.Modules.Values.FirstOrDefault(m => first.Modules[m.Weight] is var f && (f.Rank != m.Rank || f.Scale != m.Scale)) is { } m
                    ? $"module '{m.Weight}' has r {m.Rank} and scale {m.Scale}, the first adapter's has r {first.Modules[m.Weight].Rank} and scale {first.Modules[m.Weight].Scale}"
                : null;
            if (differs is not null)
            {
                throw Invalid(other.Field, $"LORA_LINEAR composes adapters of one base with the same target modules, r and scale (M10): {differs}");
            }
        }
    }

    /// <summary>INVALID_ARGUMENT on <paramref name="field"/>, reason LORA_INVALID, naming the tensor or module when given.</summary>
    internal static Grpc.Core.RpcException Invalid(string field, string what, string? tensor = null) =>
        MocoErrors.InvalidArgument(new Problem(field, "LORA_INVALID", what,
            tensor is null ? null : new Dictionary<string, string> { ["tensor"] = tensor }));

    // PEFT's get_pattern_key: a key matches a module whose dotted path ends with it.
    private static JsonNode? Pattern(JsonObject? patterns, string path) =>
        patterns?.FirstOrDefault(p => Regex.IsMatch(path, $@"^(.*\.)?(?:{p.Key})$", RegexOptions.CultureInvariant)).Value;

    private static string? Text(JsonObject config, string key) => config[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static void Refuse(JsonObject config, string field, string key, Func<JsonNode, bool> unsupported, string why)
    {
        if (config[key] is { } node && unsupported(node))
        {
            throw Invalid(field, $"{ModelFiles.AdapterConfig} {key}: {why}");
        }
    }
}
