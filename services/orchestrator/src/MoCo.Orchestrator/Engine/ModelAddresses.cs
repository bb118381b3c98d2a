using MoCo.Models.Catalog;
using MoCo.Orchestrator.Config;

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

    /// <summary>Addresses of every model name of <paramref name="config"/>; without a resolver (server mode: the config
    /// folder is the client's) every name goes as written.</summary>
    public static ModelAddresses For(RunConfig config, ModelResolver? resolver)
    {
        var addresses = new ModelAddresses();
        if (resolver is null)
        {
            return addresses;
        }
        foreach (var name in config.ModelNames.Distinct(StringComparer.Ordinal))
        {
            if (resolver.Resolve(name, config.ConfigDirectory) is { Found: true, Rule: "path", Directory: { } directory })
            {
                addresses._addresses[name] = Path.GetFullPath(directory);
            }
        }
        return addresses;
    }

    /// <summary>The model id to send for the config's <paramref name="name"/>.</summary>
    public string Of(string name) => _addresses.GetValueOrDefault(name, name);
}
