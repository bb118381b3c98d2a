namespace MoCo.Hosting.Errors;

/// <summary>
/// What each not-yet-built RPC of a service waits on. Generated gRPC base classes answer a bare UNIMPLEMENTED
/// for every method a service does not override; the host's error interceptor turns that into
/// <see cref="MocoErrors.Unimplemented"/> naming the RPC and the missing capability from this map.
/// </summary>
public sealed class PendingCapabilities
{
    private readonly Dictionary<string, string> _missing = new(StringComparer.Ordinal);

    /// <summary>Declares the pending RPCs of one gRPC service.</summary>
    /// <param name="service">Fully qualified service name, e.g. moco.v1.RouterService.</param>
    /// <param name="missing">RPC name → what it needs, phrased to follow "it needs …".</param>
    public PendingCapabilities Add(string service, IReadOnlyDictionary<string, string> missing)
    {
        foreach (var (rpc, what) in missing)
        {
            _missing[$"/{service}/{rpc}"] = what;
        }
        return this;
    }

    /// <summary>What the RPC at gRPC path <paramref name="method"/> (/package.Service/Rpc) needs, if declared.</summary>
    public string? For(string method) => _missing.GetValueOrDefault(method);

    /// <summary>Every declared RPC path, for listing what a build lacks.</summary>
    public IEnumerable<string> Methods => _missing.Keys;
}
