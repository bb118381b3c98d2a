using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MoCo.Router.Store;

/// <summary>
/// Fitted routers on disk (methods-api.md §0.11): one JSON file per router under `&lt;artifacts&gt;/routers/`, written
/// to a temporary file and renamed so a reader never sees half a router. The id derives from (method, call key), so
/// fitting again with the same key returns the stored router; a new key for the same method and models gets the
/// next version. Plain files keep routers durable across restarts and shareable between the orchestrator (which fits
/// them during runs) and the router service (which serves them by id).
/// </summary>
public sealed class RouterStore
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly string _directory;
    private readonly Lock _gate = new();

    /// <summary>A store in <paramref name="directory"/> (created on first write).</summary>
    public RouterStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = directory;
    }

    /// <summary>The store of an artifacts folder: its `routers` subfolder.</summary>
    public static RouterStore InArtifacts(string artifactsDirectory) => new(Path.Combine(artifactsDirectory, "routers"));

    /// <summary>The folder the routers live in.</summary>
    public string Directory => _directory;

    /// <summary>The router fitted under <paramref name="callKey"/>, or, when there is none, a new one with the next
    /// version, stored before it is returned. <paramref name="artifact"/> null = the router's own file.</summary>
    public StoredRouter Save(string method, IReadOnlyList<string> modelNames, string runId, string callKey, JsonObject payload, string? artifact = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(callKey);
        var id = IdOf(method, callKey);
        lock (_gate)
        {
            if (Find(id) is { } existing)
            {
                return existing;
            }
            var version = 1 + List(method).Where(r => r.ModelNames.SequenceEqual(modelNames, StringComparer.Ordinal)).Select(r => r.Version).DefaultIfEmpty(0).Max();
            var router = new StoredRouter(id, method, version, artifact ?? Path.Combine("routers", id + ".json"), [.. modelNames], runId,
                DateTimeOffset.UtcNow, callKey, (JsonObject)payload.DeepClone());
            System.IO.Directory.CreateDirectory(_directory);
            var file = PathOf(id);
            var temporary = file + ".tmp";
            File.WriteAllText(temporary, ToJson(router).ToJsonString(Indented));
            File.Move(temporary, file, overwrite: true);
            return router;
        }
    }

    /// <summary>The router <paramref name="routerId"/>, or null.</summary>
    public StoredRouter? Find(string routerId)
    {
        ArgumentNullException.ThrowIfNull(routerId);
        if (routerId.Length == 0 || routerId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')))
        {
            return null;
        }
        var file = PathOf(routerId);
        return File.Exists(file) ? FromJson(JsonNode.Parse(File.ReadAllText(file))!.AsObject()) : null;
    }

    /// <summary>The stored routers of <paramref name="method"/> (empty = all), newest first.</summary>
    public IReadOnlyList<StoredRouter> List(string method = "")
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return [];
        }
        return [.. System.IO.Directory.GetFiles(_directory, "*.json")
            .Select(f => FromJson(JsonNode.Parse(File.ReadAllText(f))!.AsObject()))
            .Where(r => method.Length == 0 || r.Method == method)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Version)];
    }

    /// <summary>The id of the router fitted by <paramref name="method"/> under <paramref name="callKey"/>.</summary>
    public static string IdOf(string method, string callKey) =>
        method.Replace("api_", "", StringComparison.Ordinal).Replace('_', '-') + "-"
        + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(method + "\n" + callKey)))[..16];

    private string PathOf(string routerId) => Path.Combine(_directory, routerId + ".json");

    private static JsonObject ToJson(StoredRouter r) => new()
    {
        ["router_id"] = r.RouterId,
        ["method"] = r.Method,
        ["version"] = r.Version,
        ["artifact"] = r.Artifact,
        ["model_names"] = new JsonArray([.. r.ModelNames.Select(m => (JsonNode?)JsonValue.Create(m))]),
        ["run_id"] = r.RunId,
        ["created_at"] = r.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["call_key"] = r.CallKey,
        ["payload"] = r.Payload.DeepClone(),
    };

    private static StoredRouter FromJson(JsonObject o) => new(
        (string)o["router_id"]!, (string)o["method"]!, (int)o["version"]!, (string)o["artifact"]!,
        [.. o["model_names"]!.AsArray().Select(m => (string)m!)], (string)o["run_id"]!,
        DateTimeOffset.Parse((string)o["created_at"]!, System.Globalization.CultureInfo.InvariantCulture), (string)o["call_key"]!,
        o["payload"]!.AsObject().DeepClone().AsObject());
}
