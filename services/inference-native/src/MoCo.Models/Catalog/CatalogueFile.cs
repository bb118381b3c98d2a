using System.Text.Json;
using System.Text.Json.Nodes;

namespace MoCo.Models.Catalog;

/// <summary>One entry of catalogue.json: a path (relative to the catalogue, or absolute) or an alias naming
/// another entry; optionally the kind the directory must hold and the fingerprint pull-from-dir recorded.</summary>
public sealed record CatalogueEntry(string? Path, string? Alias, string? Kind, string? Fingerprint = null);

/// <summary>
/// A models folder's catalogue.json (config-and-cli.md §2.2): {"version": 1, "models": {name: entry}}. Read
/// for resolution, written by `moco models alias` and `pull-from-dir`, which keep entries they do not touch
/// as they were.
/// </summary>
public sealed class CatalogueFile
{
    private const string FileName = "catalogue.json";

    private readonly JsonObject _root;

    private CatalogueFile(string path, JsonObject root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>The catalogue's file (which may not exist yet).</summary>
    public string Path { get; }

    /// <summary>The names of all entries, in file order.</summary>
    public IReadOnlyList<string> Names => Models is { } models ? [.. models.Select(p => p.Key)] : [];

    private JsonObject? Models => _root["models"] as JsonObject;

    /// <summary>The catalogue file of models folder <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>Reads <paramref name="path"/>; an absent file is an empty catalogue.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, or "models" is not an object.</exception>
    public static CatalogueFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new CatalogueFile(path, new JsonObject { ["version"] = 1, ["models"] = new JsonObject() });
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject obj || (obj["models"] is { } models && models is not JsonObject))
        {
            throw new InvalidDataException($"{path}: expected {{\"version\": 1, \"models\": {{name: entry}}}}");
        }
        return new CatalogueFile(path, obj);
    }

    /// <summary>The entry named exactly <paramref name="name"/>, or null.</summary>
    /// <exception cref="InvalidDataException">The entry has neither path nor alias, or an unknown kind.</exception>
    public CatalogueEntry? Entry(string name)
    {
        if (Models?[name] is not JsonObject e)
        {
            return null;
        }
        string? Get(string key) => e[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var entry = new CatalogueEntry(Get("path"), Get("alias"), Get("kind"), Get("fingerprint"));
        if (entry.Path is null && entry.Alias is null)
        {
            throw new InvalidDataException($"{Path}: entry '{name}' has neither \"path\" nor \"alias\"");
        }
        if (entry.Kind is not null && ModelKindNames.FromCatalogue(entry.Kind) is null)
        {
            throw new InvalidDataException($"{Path}: entry '{name}' has kind '{entry.Kind}'; use causal-lm, lora, reward or embedding");
        }
        return entry;
    }

    /// <summary>Adds or replaces <paramref name="name"/>.</summary>
    public void Set(string name, CatalogueEntry entry)
    {
        var models = Models ?? (JsonObject)(_root["models"] = new JsonObject());
        var e = new JsonObject();
        if (entry.Path is not null)
        {
            e["path"] = entry.Path;
        }
        if (entry.Alias is not null)
        {
            e["alias"] = entry.Alias;
        }
        if (entry.Kind is not null)
        {
            e["kind"] = entry.Kind;
        }
        if (entry.Fingerprint is not null)
        {
            e["fingerprint"] = entry.Fingerprint;
        }
        models[name] = e;
    }

    /// <summary>Writes the catalogue (creating its folder), replacing the file atomically.</summary>
    public void Save()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _root["version"] ??= 1;
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, _root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        File.Move(temporary, Path, overwrite: true);
    }
}
