using System.Text.Json;

namespace MoCo.Inference.Models;

/// <summary>
/// Resolves a model name as configs write it to a directory, offline, by the first matching rule of
/// config-and-cli.md §2.2: (1) an existing directory path; (2) an exact entry of catalogue.json in a models
/// folder (path or alias); (3) the layout &lt;models&gt;/&lt;name&gt; or with '/' replaced by '--'; (4) the
/// read-only Hugging Face cache; (5) the bundled zoo, zoo/&lt;name&gt;. Nothing matched = not found, with
/// every place searched in the trace. Paths relative to a config file are the orchestrator's business: it
/// passes them absolute.
/// </summary>
public sealed class ModelResolver(IReadOnlyList<string> modelDirectories, string zooDirectory, string? huggingFaceCache)
{
    private const string Catalogue = "catalogue.json";
    private const string ZooPrefix = "zoo/";

    /// <summary>The models folders searched, in order.</summary>
    public IReadOnlyList<string> ModelDirectories => modelDirectories;

    /// <summary>The HF hub cache per HF's own rules: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.</summary>
    public static string DefaultHuggingFaceCache(Func<string, string?> variable) =>
        variable("HF_HUB_CACHE") is { Length: > 0 } hub ? hub
        : variable("HF_HOME") is { Length: > 0 } home ? Path.Combine(home, "hub")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");

    /// <summary>Resolves <paramref name="name"/>.</summary>
    public ModelResolution Resolve(string name) => Resolve(name, new HashSet<string>(StringComparer.Ordinal));

    private ModelResolution Resolve(string name, HashSet<string> aliasesSeen)
    {
        var trace = new List<ResolutionTraceStep>();

        var asPath = Path.GetFullPath(name);
        trace.Add(new("path", asPath));
        if (Directory.Exists(asPath) && ModelDirectory.Looks(asPath))
        {
            return new ModelResolution(name, asPath, "path", null, Matched(trace, asPath));
        }

        foreach (var dir in modelDirectories)
        {
            var catalogue = Path.Combine(dir, Catalogue);
            trace.Add(new("catalogue", catalogue));
            if (ReadEntry(catalogue, name) is { } entry)
            {
                if (entry.Alias is not null)
                {
                    if (!aliasesSeen.Add(name))
                    {
                        throw new InvalidDataException($"{catalogue}: alias cycle through '{name}'");
                    }
                    var target = Resolve(entry.Alias, aliasesSeen);
                    return target with { Name = name, Rule = $"alias {entry.Alias} → {target.Rule}", Trace = [.. trace, .. target.Trace] };
                }
                var path = Path.GetFullPath(Path.Combine(dir, entry.Path!));
                                return Directory.Exists(path) && ModelDirectory.Looks(path)
                    ? new ModelResolution(name, path, "catalogue", entry.Kind, Matched(trace, path))
                    : new ModelResolution(name, null, null, entry.Kind,
                        [.. trace, new("catalogue", path, Note: "the entry's path is not a model directory (no config.json or adapter_config.json)")]);
            }
        }

        foreach (var dir in modelDirectories)
        {
            foreach (var candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name.Replace("/", "--", StringComparison.Ordinal)) }.Distinct())
            {
                trace.Add(new("layout", candidate));
                if (Directory.Exists(candidate) && ModelDirectory.Looks(candidate))
                {
                    return new ModelResolution(name, Path.GetFullPath(candidate), "layout", null, Matched(trace, candidate));
                }
            }
        }

        if (huggingFaceCache is not null && name.Count(c => c == '/') == 1)
        {
            var repo = Path.Combine(huggingFaceCache, "models--" + name.Replace("/", "--", StringComparison.Ordinal));
            trace.Add(new("hf-cache", repo));
            if (HuggingFaceSnapshot(repo) is { } snapshot)
            {
                return new ModelResolution(name, snapshot, "hf-cache", null, Matched(trace, snapshot));
            }
        }

        if (name.StartsWith(ZooPrefix, StringComparison.Ordinal))
        {
            var zooName = name[ZooPrefix.Length..];
            var catalogue = Path.Combine(zooDirectory, Catalogue);
            trace.Add(new("zoo", catalogue));
            var entry = ReadEntry(catalogue, name) ?? ReadEntry(catalogue, zooName);
            var path = entry?.Path is { } p ? Path.Combine(zooDirectory, p) : Path.Combine(zooDirectory, zooName);
            trace.Add(new("zoo", path));
            if (Directory.Exists(path) && ModelDirectory.Looks(path))
            {
                return new ModelResolution(name, Path.GetFullPath(path), "zoo", entry?.Kind, Matched(trace, path));
            }
        }

        return new ModelResolution(name, null, null, null, trace);
    }

    /// <summary>Every model reachable by name without a path: catalogue entries, then layout folders (one or two
    /// levels, org/name), then the zoo. The first folder to name a model wins, as resolution does.</summary>
    public IReadOnlyList<(string Name, string Directory)> List()
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in modelDirectories.Where(Directory.Exists))
        {
            foreach (var name in CatalogueNames(Path.Combine(dir, Catalogue)))
            {
                if (!found.ContainsKey(name) && Resolve(name).Directory is { } resolved)
                {
                    found[name] = resolved;
                }
            }
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                if (ModelDirectory.Looks(sub))
                {
                    found.TryAdd(Path.GetFileName(sub).Replace("--", "/", StringComparison.Ordinal), sub);
                    continue;
                }
                foreach (var nested in Directory.EnumerateDirectories(sub).Where(ModelDirectory.Looks))
                {
                    found.TryAdd($"{Path.GetFileName(sub)}/{Path.GetFileName(nested)}", nested);
                }
            }
        }
        return [.. found.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value))];
    }

    /// <summary>Marks the last step as the match, recording the directory it led to.</summary>
    private static List<ResolutionTraceStep> Matched(List<ResolutionTraceStep> trace, string directory)
    {
        trace[^1] = trace[^1] with { Candidate = Path.GetFullPath(directory), Matched = true };
        return trace;
    }

    private static string? HuggingFaceSnapshot(string repo)
    {
        var refFile = Path.Combine(repo, "refs", "main");
        if (!File.Exists(refFile))
        {
            return null;
        }
        var snapshot = Path.Combine(repo, "snapshots", File.ReadAllText(refFile).Trim());
        return Directory.Exists(snapshot) && ModelDirectory.Looks(snapshot) ? snapshot : null;
    }

    private sealed record Entry(string? Path, string? Alias, string? Kind);

    private static Entry? ReadEntry(string catalogue, string name)
    {
        using var doc = ReadCatalogue(catalogue);
        if (doc is null || !doc.RootElement.TryGetProperty("models", out var models) || !models.TryGetProperty(name, out var e))
        {
            return null;
        }
        string? Get(string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var entry = new Entry(Get("path"), Get("alias"), Get("kind"));
        if (entry.Path is null && entry.Alias is null)
        {
            throw new InvalidDataException($"{catalogue}: entry '{name}' has neither \"path\" nor \"alias\"");
        }
        return entry;
    }

    private static IEnumerable<string> CatalogueNames(string catalogue)
    {
        using var doc = ReadCatalogue(catalogue);
        return doc is not null && doc.RootElement.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Object
            ? [.. models.EnumerateObject().Select(p => p.Name)]
            : [];
    }

    private static JsonDocument? ReadCatalogue(string catalogue)
    {
        if (!File.Exists(catalogue))
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(catalogue), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{catalogue} is not valid JSON: {e.Message}", e);
        }
    }
}
