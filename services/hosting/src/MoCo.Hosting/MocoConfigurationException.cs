namespace MoCo.Hosting;

/// <summary>A host or service setting is invalid. The message names the key and the fix; hosts exit with
/// code 2 on it before binding any port.</summary>
public sealed class MocoConfigurationException(string key, string problem, string fix)
    : Exception($"{key}: {problem}\n  fix: {fix}")
{
    /// <summary>The configuration key at fault, e.g. Moco:Host:GrpcPort.</summary>
    public string Key { get; } = key;
}
