using System.Text.RegularExpressions;
using MoCo.Hosting;

namespace MoCo.Gateway.Configuration;

/// <summary>
/// Checks <see cref="GatewayOptions"/> and turns them into a <see cref="GatewayTopology"/>. Every problem is a
/// <see cref="MocoConfigurationException"/> naming the configuration key (Moco:Gateway:…) and the fix, raised
/// before any port is bound, so a bad deployment fails at start rather than on its first call.
/// </summary>
internal static partial class GatewayOptionsValidator
{
    private const string Prefix = GatewayOptions.Section + ":";

    public static GatewayTopology Validate(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateHealthChecks(options.HealthChecks);
        if (options.StreamIdleTimeout <= TimeSpan.Zero)
        {
            throw new MocoConfigurationException(Prefix + nameof(options.StreamIdleTimeout), $"{options.StreamIdleTimeout} is not a positive duration",
                "use a duration longer than the quietest stream, e.g. 01:00:00");
        }
        ValidateTls(options.Tls);

        var backends = new List<BackendPlan>();
        if (Inference(options.Inference) is { } inference)
        {
            backends.Add(inference);
        }
        foreach (var backend in GatewayBackends.All.Where(b => b != GatewayBackends.Inference))
        {
            var replicas = backend.Options(options).Replicas;
            if (replicas.Count > 0)
            {
                var set = new ReplicaSetPlan(backend.Key, null, [], Replicas(Prefix + backend.OptionsKey + ":Replicas", replicas, []));
                backends.Add(new BackendPlan(backend, [set], set));
            }
        }
        if (backends.Count == 0)
        {
            throw new MocoConfigurationException(GatewayOptions.Section, "no backend service has replicas, so there is nothing to route",
                "list the replicas of each service, e.g. Moco:Gateway:Router:Replicas:0:Address=http://127.0.0.1:50052 and " +
                "Moco:Gateway:Router:Replicas:0:Health=http://127.0.0.1:9052 (gateway/README.md has a full example)");
        }
        return new GatewayTopology(backends, options.HealthChecks, options.StreamIdleTimeout);
    }

    private static BackendPlan? Inference(InferenceBackendOptions inference)
    {
        const string key = Prefix + "Inference";
        if (inference.Groups.Count == 0)
        {
            return null;
        }
        var seenAddresses = new Dictionary<string, string>(StringComparer.Ordinal);
        var modelOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var sets = new List<ReplicaSetPlan>();
        foreach (var (group, options) in inference.Groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var groupKey = $"{key}:Groups:{group}";
            if (!GroupName().IsMatch(group))
            {
                throw new MocoConfigurationException(groupKey, $"'{group}' is not a group name",
                    "use letters, digits, '-', '_' and '.' only");
            }
            if (options is null || options.Replicas.Count == 0)
            {
                throw new MocoConfigurationException(groupKey + ":Replicas", $"group '{group}' has no replicas",
                    "add at least one replica {Address, Health}, or remove the group");
            }
            for (var i = 0; i < options.Models.Count; i++)
            {
                var model = options.Models[i];
                var modelKey = $"{groupKey}:Models:{i}";
                if (string.IsNullOrWhiteSpace(model) || model.Trim() != model || model.Any(c => c is < '!' or > '~'))
                {
                    throw new MocoConfigurationException(modelKey, $"'{model}' is not a model name the moco-model header can carry",
                        "write the name exactly as clients send it: printable ASCII, no spaces");
                }
                if (!modelOwners.TryAdd(model, group))
                {
                    throw new MocoConfigurationException(modelKey, $"model '{model}' is already listed by group '{modelOwners[model]}'",
                        "list each model in one group only: a call naming it must have one destination");
                }
            }
            sets.Add(new ReplicaSetPlan($"{GatewayBackends.Inference.Key}/{group}", group, [.. options.Models],
                Replicas(groupKey + ":Replicas", options.Replicas, seenAddresses)));
        }
        var defaultSet = sets.FirstOrDefault(s => string.Equals(s.Group, inference.DefaultGroup, StringComparison.OrdinalIgnoreCase))
            ?? throw new MocoConfigurationException(key + ":DefaultGroup", $"'{inference.DefaultGroup}' is not one of the groups",
                $"name one of: {string.Join(", ", sets.Select(s => s.Group))}");
        return new BackendPlan(GatewayBackends.Inference, sets, defaultSet);
    }

    /// <param name="seen">Replica id → its key, shared by all groups of a service: a replica serves one group.</param>
    private static List<ReplicaPlan> Replicas(string key, List<ReplicaOptions> replicas, Dictionary<string, string> seen)
    {
        var plans = new List<ReplicaPlan>();
        for (var i = 0; i < replicas.Count; i++)
        {
            var replicaKey = $"{key}:{i}";
            var replica = replicas[i] ?? new ReplicaOptions();
            var address = Url(replicaKey + ":Address", replica.Address, "its gRPC listener, e.g. http://10.0.0.5:50051");
            var health = Url(replicaKey + ":Health", replica.Health, "its admin listener, e.g. http://10.0.0.5:9051 (the gateway probes /readyz there)");
            var id = $"{address.Host}:{address.Port}";
            if (!seen.TryAdd(id, replicaKey))
            {
                throw new MocoConfigurationException(replicaKey + ":Address", $"{address} is already configured at {seen[id]}",
                    "list each replica once; a replica belongs to one group");
            }
            plans.Add(new ReplicaPlan(id, address, health));
        }
        return plans;
    }

    private static Uri Url(string key, string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new MocoConfigurationException(key, "is missing", "set it to " + what);
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            throw new MocoConfigurationException(key, $"'{value}' is not an http:// or https:// URL", "set it to " + what);
        }
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new MocoConfigurationException(key, $"'{value}' has a path, query or fragment", "give scheme, host and port only: " + what);
        }
        return uri;
    }

    private static void ValidateHealthChecks(GatewayHealthCheckOptions health)
    {
        const string key = Prefix + nameof(GatewayOptions.HealthChecks) + ":";
        Positive(key + nameof(health.Interval), health.Interval, "00:00:05");
        Positive(key + nameof(health.Timeout), health.Timeout, "00:00:02");
        Positive(key + nameof(health.ReactivationPeriod), health.ReactivationPeriod, "00:00:30");
        if (health.FailureThreshold < 1)
        {
            throw new MocoConfigurationException(key + nameof(health.FailureThreshold), $"{health.FailureThreshold} is below 1",
                "use the number of failed probes in a row that takes a replica out, e.g. 2");
        }
    }

    private static void Positive(string key, TimeSpan value, string example)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new MocoConfigurationException(key, $"{value} is not a positive duration", $"use a duration such as {example}");
        }
    }

    private static void ValidateTls(GatewayTlsOptions tls)
    {
        const string key = Prefix + nameof(GatewayOptions.Tls) + ":";
        if (!tls.Enabled && (!string.IsNullOrWhiteSpace(tls.KeyPath) || !string.IsNullOrEmpty(tls.Password)))
        {
            throw new MocoConfigurationException(key + nameof(tls.CertificatePath), "is missing while a key or password is set",
                "name the certificate (PEM or .pfx), or remove the TLS settings to serve h2c");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex GroupName();
}
