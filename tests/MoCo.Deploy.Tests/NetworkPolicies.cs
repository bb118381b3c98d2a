namespace MoCo.Deploy.Tests;

/// <summary>
/// What a set of rendered NetworkPolicies admits, by the Kubernetes rules for pods of one namespace: traffic into a
/// pod that some Ingress policy selects passes when one of those policies' rules lists the port (or no ports) and has
/// no `from` or a podSelector peer matching the sender; out of a pod some Egress policy selects, likewise with `to`.
/// namespaceSelector and ipBlock peers match no pod of the release (they name other namespaces or addresses).
/// </summary>
internal sealed class NetworkPolicies(IEnumerable<Dictionary<object, object>> policies)
{
    private readonly List<Dictionary<object, object>> _policies = [.. policies];

    public bool Admits(IReadOnlyDictionary<string, string> from, IReadOnlyDictionary<string, string> to, int port, string protocol = "TCP") =>
        Allowed(to, "Ingress", "ingress", "from", from, port, protocol) && Allowed(from, "Egress", "egress", "to", to, port, protocol);

    /// <summary>The policies that select a pod with <paramref name="labels"/>.</summary>
    public IEnumerable<Dictionary<object, object>> Selecting(IReadOnlyDictionary<string, string> labels) =>
        _policies.Where(p => Matches(Node.At(p, "spec", "podSelector"), labels));

    private bool Allowed(IReadOnlyDictionary<string, string> pod, string type, string rules, string peers, IReadOnlyDictionary<string, string> other,
        int port, string protocol)
    {
        var governing = Selecting(pod).Where(p => ((List<object>)Node.At(p, "spec", "policyTypes")).Contains(type)).ToList();
        return governing.Count == 0 || governing.Any(p =>
            ((Dictionary<object, object>)p["spec"]).TryGetValue(rules, out var list) && ((List<object>)list).Cast<Dictionary<object, object>>().Any(rule =>
                (!rule.TryGetValue("ports", out var ports) || ((List<object>)ports).Cast<Dictionary<object, object>>().Any(pp =>
                    (string)pp["port"] == port.ToString() && (string)(pp.GetValueOrDefault("protocol") ?? "TCP") == protocol))
                && (!rule.TryGetValue(peers, out var peerList) || ((List<object>)peerList).Cast<Dictionary<object, object>>().Any(peer =>
                    peer.TryGetValue("podSelector", out var selector) && !peer.ContainsKey("namespaceSelector") && Matches(selector, other)))));
    }

    private static bool Matches(object selector, IReadOnlyDictionary<string, string> labels) =>
        selector is not Dictionary<object, object> s || !s.TryGetValue("matchLabels", out var match)
        || ((Dictionary<object, object>)match).All(kv => labels.TryGetValue((string)kv.Key, out var v) && v == (string)kv.Value);
}
