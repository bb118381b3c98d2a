namespace MoCo.Inference.Weights;

/// <summary>The non-weight files of a model folder (config, tokenizer, generation config, …).</summary>
public static class ModelFiles
{
    /// <summary>Full model config.</summary>
    public const string Config = "config.json";

    /// <summary>PEFT adapter config.</summary>
    public const string AdapterConfig = "adapter_config.json";

    /// <summary>The single weights file WriteModel and Merge write for a full model.</summary>
    public const string ModelWeights = "model.safetensors";

    /// <summary>The single weights file written for an adapter.</summary>
    public const string AdapterWeights = "adapter_model.safetensors";

    /// <summary>Top-level files other than weights, by name: the shard index goes too, since written models are one file.</summary>
    public static IReadOnlyList<string> NonWeights(string directory) =>
    [
        .. Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.EndsWith(".safetensors", StringComparison.Ordinal) && !n.EndsWith(".safetensors.index.json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Copies the non-weight files of <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static void CopyNonWeights(string from, string to)
    {
        foreach (var name in NonWeights(from))
        {
            File.Copy(Path.Combine(from, name), Path.Combine(to, name));
        }
    }

    /// <summary>The config text ReadWeights sends: config.json, else adapter_config.json, else empty.</summary>
    public static string ConfigText(string directory)
    {
        foreach (var name in new[] { Config, AdapterConfig })
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }
        return "";
    }

    /// <summary>A file name a client may write: plain, no folders, no way out of the model folder.</summary>
    public static bool IsPlainName(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name is not ("." or "..") && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0
        && !name.Contains('\\', StringComparison.Ordinal);
}
