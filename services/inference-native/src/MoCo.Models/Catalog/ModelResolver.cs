namespace MoCo.Models.Catalog;

/// <summary>
/// Resolves a model name as configs write it to a directory, offline, by the first matching rule of
/// config-and-cli.md §2.2: (1) an existing directory, relative to the working directory and then to the
/// config file (two different hits: the first wins, with a warning); (2) an exact entry of catalogue.json in a
/// models folder (path or alias); (3) the layout &lt;models&gt;/&lt;name&gt; or with '/' replaced by '--'; (4) the
/// read-only Hugging Face cache, models--org--name/snapshots/&lt;refs/main&gt;; (5) the bundled zoo, zoo/&lt;name&gt;.
/// Nothing matched = not found, with every place searched in the trace.
/// </summary>
public sealed class ModelResolver(IReadOnlyList<string> modelDirectories, string zooDirectory, string? huggingFaceCache)
{
    private const string ZooPrefix = "zoo/";

    /// <summary>The models folders searched, in order.</summary>
    public IReadOnlyList<string> ModelDirectories => modelDirectories;

    /// <summary>The HF hub cache per HF's own rules: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.</summary>
    public static string DefaultHuggingFaceCache(Func<string, string?> variable) =>
        variable("HF_HUB_CACHE") is { Length: > 0 } hub ? hub
        : variable("HF_HOME") is { Length: > 0 } home ? Path.Combine(home, "hub")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");

    /// <summary>Resolves <paramref name="name"/>; <paramref name="configDirectory"/> is the folder of the config that wrote it, if any.</summary>
    /// <exception cref="InvalidDataException">A catalogue.json is malformed or has an alias cycle; the message names it.</exception>
    public ModelResolution Resolve(string name, string? configDirectory = null) =>
        Resolve(name, configDirectory, new HashSet<string>(StringComparer.Ordinal));

    /// <summary>Resolves <paramref name="name"/> or fails with CFG009.</summary>
    /// <exception cref="ModelNotFoundException">Nothing matched; the message lists every place searched.</exception>
    /// <exception cref="InvalidDataException">A catalogue.json is malformed.</exception>
    public ModelResolution Require(string name, string? configDirectory = null)
    {
        var resolution = Resolve(name, configDirectory);
        return resolution.Found ? resolution : throw new ModelNotFoundException(resolution);
    }

    private ModelResolution Resolve(string name, string? configDirectory, HashSet<string> aliasesSeen)
    {
        var trace = new List<ResolutionTraceStep>();

        var hits = new List<string>();
        foreach (var candidate in PathCandidates(name, configDirectory))
        {
            var isModel = Directory.Exists(candidate) && ModelDirectory.Looks(candidate);
            trace.Add(new("path", candidate, isModel, Directory.Exists(candidate) && !isModel ? ResolutionNotes.NotAModel : null));
            if (isModel)
            {
                hits.Add(candidate);
            }
        }
        if (hits.Count > 0)
        {
            var warnings = hits.Count > 1
                ? new[] { $"'{name}' names two model directories, {hits[0]} (working directory) and {hits[1]} (config folder); using the first" }
                : [];
            return new ModelResolution(name, hits[0], "path", null, trace) { Warnings = warnings };
        }

        foreach (var dir in modelDirectories)
        {
            var catalogue = CatalogueFile.PathIn(dir);
            trace.Add(new("catalogue", catalogue));
            if (CatalogueFile.Load(catalogue).Entry(name) is not { } entry)
            {
                continue;
            }
            if (entry.Alias is not null)
            {
                if (!aliasesSeen.Add(name))
                {
                    throw new InvalidDataException($"{catalogue}: alias cycle through '{name}'");
                }
                var target = Resolve(entry.Alias, configDirectory, aliasesSeen);
                return target with { Name = name, Rule = target.Found ? $"alias {entry.Alias} → {target.Rule}" : null, Trace = [.. trace, .. target.Trace] };
            }
            var path = Path.GetFullPath(Path.Combine(dir, entry.Path!));
            if (Directory.Exists(path) && ModelDirectory.Looks(path))
            {
                return new ModelResolution(name, path, "catalogue", entry.Kind, Matched(trace, path));
            }
            trace.Add(new("catalogue", path, Note: Directory.Exists(path) ? ResolutionNotes.NotAModel : "the entry's path does not exist"));
            return new ModelResolution(name, null, null, entry.Kind, trace);
        }

        foreach (var dir in modelDirectories)
        {
            foreach (var candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name.Replace("/", "--", StringComparison.Ordinal)) }.Distinct())
            {
                var full = Path.GetFullPath(candidate);
                var isModel = Directory.Exists(full) && ModelDirectory.Looks(full);
                trace.Add(new("layout", full, isModel));
                if (isModel)
                {
                    return new ModelResolution(name, full, "layout", null, trace);
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
            var catalogue = CatalogueFile.Load(CatalogueFile.PathIn(zooDirectory));
            trace.Add(new("zoo", catalogue.Path));
            var entry = catalogue.Entry(name) ?? catalogue.Entry(zooName);
            var path = Path.GetFullPath(entry?.Path is { } p ? Path.Combine(zooDirectory, p) : Path.Combine(zooDirectory, zooName));
            var isModel = Directory.Exists(path) && ModelDirectory.Looks(path);
            trace.Add(new("zoo", path, isModel));
            if (isModel)
            {
                return new ModelResolution(name, path, "zoo", entry?.Kind, trace);
            }
        }

        return new ModelResolution(name, null, null, null, trace);
    }

    private static IEnumerable<string> PathCandidates(string name, string? configDirectory)
    {
        if (name.Length == 0)
        {
            yield break;
        }
        var fromWorkingDirectory = Path.GetFullPath(name);
        yield return fromWorkingDirectory;
        if (configDirectory is not null && !Path.IsPathRooted(name))
        {
            var fromConfig = Path.GetFullPath(Path.Combine(configDirectory, name));
            if (fromConfig != fromWorkingDirectory)
            {
                yield return fromConfig;
            }
        }
    }

    /// <summary>Every model reachable by name without a path: catalogue entries, then layout folders (one or two
    /// levels, org/name), then the zoo's entries as zoo/&lt;name&gt;. The first folder to name a model wins, as
    /// resolution does; entries that do not resolve are left out.</summary>
    public IReadOnlyList<ModelResolution> List()
    {
        var found = new Dictionary<string, ModelResolution>(StringComparer.Ordinal);
        void Add(string name)
        {
            if (!found.ContainsKey(name) && Resolve(name) is { Found: true } resolution)
            {
                found[name] = resolution;
            }
        }
        foreach (var dir in modelDirectories.Where(Directory.Exists))
        {
            foreach (var name in CatalogueFile.Load(CatalogueFile.PathIn(dir)).Names)
            {
                Add(name);
            }
            foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
            {
                if (ModelDirectory.Looks(sub))
                {
                    Add(Path.GetFileName(sub).Replace("--", "/", StringComparison.Ordinal));
                    continue;
                }
                foreach (var nested in Directory.EnumerateDirectories(sub).Where(ModelDirectory.Looks).Order(StringComparer.Ordinal))
                {
                    Add($"{Path.GetFileName(sub)}/{Path.GetFileName(nested)}");
                }
            }
        }
        foreach (var name in CatalogueFile.Load(CatalogueFile.PathIn(zooDirectory)).Names)
        {
            Add(name.StartsWith(ZooPrefix, StringComparison.Ordinal) ? name : ZooPrefix + name);
        }
        return [.. found.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];
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
}
