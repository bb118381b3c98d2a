using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Registry;

/// <summary>
/// The bytes resident models may take together: each base model's weight files plus its KV cache, each adapter's
/// tensors. A load that would pass the budget is refused with RESOURCE_EXHAUSTED naming what is resident; nothing is
/// evicted on its own, since unloading a model callers rely on is their decision.
/// </summary>
public sealed class MemoryBudget(long limit)
{
    private readonly Dictionary<string, (string Name, long Bytes)> _held = new(StringComparer.Ordinal);

    /// <summary>The budget in bytes.</summary>
    public long Limit => limit;

    /// <summary>Bytes held now.</summary>
    public long Used
    {
        get
        {
            lock (_held)
            {
                return _held.Values.Sum(h => h.Bytes);
            }
        }
    }

    /// <summary>Throws unless <paramref name="bytes"/> more fit.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED OUT_OF_MEMORY naming the resident models.</exception>
    public void Check(string model, long bytes, string parts)
    {
        lock (_held)
        {
            var used = _held.Values.Sum(h => h.Bytes);
            if (used + bytes <= limit)
            {
                return;
            }
            var resident = _held.Count == 0 ? "nothing" : string.Join(", ", _held.Values.OrderByDescending(h => h.Bytes).Select(h => $"{h.Name} ({Size(h.Bytes)})"));
            throw MocoErrors.Create(StatusCode.ResourceExhausted, $"model '{model}' does not fit the memory budget",
                new Problem("model", "OUT_OF_MEMORY",
                    $"loading '{model}' needs {Size(bytes)} ({parts}); the budget is {Size(limit)} and {Size(used)} is held by {resident}",
                    new Dictionary<string, string>
                    {
                        ["model"] = model,
                        ["needed_bytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["free_bytes"] = Math.Max(0, limit - used).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["fix"] = "unload a resident model (UnloadModel), or raise Moco:Inference:MemoryBudgetBytes",
                    }));
        }
    }

    /// <summary>Records <paramref name="bytes"/> held by the model loaded from <paramref name="owner"/> (its directory) as <paramref name="name"/>.</summary>
    public void Hold(string owner, string name, long bytes)
    {
        lock (_held)
        {
            _held[owner] = (name, bytes);
        }
    }

    /// <summary>Forgets what <paramref name="owner"/> held.</summary>
    public void Free(string owner)
    {
        lock (_held)
        {
            _held.Remove(owner);
        }
    }

    /// <summary>"1.5 MiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F1} KiB",
        _ => $"{bytes} B",
    };
}
