using System.Text.Json;
using System.Text.RegularExpressions;

namespace MoCo.Models.Catalog;

/// <summary>What pull-from-dir did.</summary>
/// <param name="Name">The catalogue name.</param>
/// <param name="Directory">Where the model now lives.</param>
/// <param name="Catalogue">The catalogue.json that names it.</param>
/// <param name="Model">The model's metadata.</param>
/// <param name="Fingerprint">The fingerprint stored in the entry.</param>
/// <param name="Linked">True when the folder is a symbolic link to the source.</param>
public sealed record PulledModel(string Name, string Directory, string Catalogue, ModelDirectory Model, string Fingerprint, bool Linked);

/// <summary>
/// `moco models pull-from-dir &lt;dir&gt; [--name N] [--link]` (config-and-cli.md §4.1): validates the directory
/// (config or adapter config, safetensors headers, tokenizer files), copies or links it into the first models
/// folder and adds a catalogue entry with kind and fingerprint. The name defaults to config.json's
/// _name_or_path when that looks like a hub id (org/name), else the folder's name.
/// </summary>
public static partial class ModelPuller
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex HubId();

    /// <summary>Pulls <paramref name="source"/> into <paramref name="modelsDirectory"/>.</summary>
    /// <exception cref="InvalidDataException">The source is not a model or a file in it is malformed (named), or the name or target folder is taken.</exception>
    public static PulledModel Pull(string source, string modelsDirectory, string? name = null, bool link = false)
    {
        var from = Path.GetFullPath(source);
        var model = ModelDirectory.Read(from);
        ValidateTokenizer(from, model.Kind);
        name ??= DefaultName(from);
        var catalogue = CatalogueFile.Load(CatalogueFile.PathIn(modelsDirectory));
        if (catalogue.Entry(name) is not null)
        {
            throw new InvalidDataException($"{catalogue.Path} already has an entry '{name}'; pass --name to choose another");
        }
        var folder = name.Replace("/", "--", StringComparison.Ordinal);
        var target = Path.Combine(Path.GetFullPath(modelsDirectory), folder);
        if (Path.Exists(target))
        {
            throw new InvalidDataException($"{target} already exists; pass --name to choose another");
        }
        Directory.CreateDirectory(modelsDirectory);
        if (link)
        {
            Directory.CreateSymbolicLink(target, from);
        }
        else
        {
            Copy(from, target);
        }
        var fingerprint = ModelFingerprint.Compute(target);
        catalogue.Set(name, new CatalogueEntry(folder, null, model.Kind.ToCatalogue(), fingerprint));
        catalogue.Save();
        return new PulledModel(name, target, catalogue.Path, model with { Path = target }, fingerprint, link);
    }

    /// <summary>config.json's _name_or_path when it is a hub id, else the folder name.</summary>
    public static string DefaultName(string directory)
    {
        var config = Path.Combine(directory, "config.json");
        if (File.Exists(config))
        {
            using var doc = ModelJson.Parse(config);
            if (ModelJson.String(doc.RootElement, "_name_or_path") is { } declared && HubId().IsMatch(declared))
            {
                return declared;
            }
        }
        return Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
    }

    /// <summary>A full model needs a tokenizer (tokenizer.json, or tokenizer.model for SentencePiece) that parses.</summary>
    private static void ValidateTokenizer(string directory, ModelKind kind)
    {
        var tokenizerJson = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            try
            {
                using var stream = File.OpenRead(tokenizerJson);
                using var doc = JsonDocument.Parse(stream);
                if (!doc.RootElement.TryGetProperty("model", out var tokenizerModel) || tokenizerModel.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{tokenizerJson}: has no \"model\" object");
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{tokenizerJson} is not valid JSON: {e.Message}", e);
            }
            return;
        }
        if (kind != ModelKind.Adapter && !File.Exists(Path.Combine(directory, "tokenizer.model")))
        {
            throw new InvalidDataException($"{directory} has no tokenizer: expected tokenizer.json (or tokenizer.model)");
        }
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var sub in Directory.EnumerateDirectories(from))
        {
            Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }
}
