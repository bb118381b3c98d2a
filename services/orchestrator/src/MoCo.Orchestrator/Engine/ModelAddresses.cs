using System.Text.Json;
using MoCo.Models.Catalog;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods;

namespace MoCo.Orchestrator.Engine;

/// <summary>
/// What the inference service is asked for when a config names a model. Names that resolve by the path rule against
/// the config file's folder (config-and-cli.md §2.2 rule 1, e.g. "models/my-model" beside the config) are sent as the
/// absolute directory: the inference service resolves names against its own working directory and folders, and never
/// sees the config, so the name as written would pass validation here and then fail mid-run there. Every other name
/// (catalogue entries, models folders, HF cache, zoo) goes as written, so logs and call keys keep the user's names.
/// </summary>
public sealed class ModelAddresses
{
    private readonly Dictionary<string, string> _addresses = new(StringComparer.Ordinal);

    /// <summary>Addresses of every model name of <paramref name="config"/> — model_names and, with
    /// <paramref name="method"/>, the effective values of its model-valued keys (a ranker, a fuser); without a resolver
    /// (server mode: the config folder is the client's) every name goes as written.</summary>
    public static ModelAddresses For(RunConfig config, ModelResolver? resolver, MethodDescriptor? method = null)
    {
        var addresses = new ModelAddresses();
        if (resolver is null)
        {
            return addresses;
        }
        foreach (var name in config.ModelNames.Concat(KeyModels(config, method)).Distinct(StringComparer.Ordinal))
        {
            if (resolver.Resolve(name, config.ConfigDirectory) is { Found: true, Rule: "path", Directory: { } directory })
            {
                addresses._addresses[name] = Path.GetFullPath(directory);
            }
        }
        return addresses;
    }

    /// <summary>The model names in the effective values of <paramref name="method"/>'s model-valued keys.</summary>
    public static IEnumerable<string> KeyModels(RunConfig config, MethodDescriptor? method) => KeyModelRoles(config, method).Select(r => r.Name);

    /// <summary>Each model name in the effective values of <paramref name="method"/>'s model-valued keys, with its key
    /// (e.g. ranker_model_name): the models a config implies beside model_names.</summary>
    public static IEnumerable<(string Key, string Name)> KeyModelRoles(RunConfig config, MethodDescriptor? method)
    {
        foreach (var spec in method?.Keys ?? [])
        {
            var value = config.Hyperparameters[spec.Name];
            if (spec.Type == ParamType.Model && value.ValueKind == JsonValueKind.String)
            {
                yield return (spec.Name, value.GetString()!);
            }
            else if (spec.Type == ParamType.ModelList && value.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String))
                {
                    yield return (spec.Name, entry.GetString()!);
                }
            }
        }
    }

    /// <summary>The model id to send for the config's <paramref name="name"/>.</summary>
    public string Of(string name) => _addresses.GetValueOrDefault(name, name);
}
