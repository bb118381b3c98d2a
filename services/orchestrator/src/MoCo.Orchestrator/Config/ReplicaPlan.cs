namespace MoCo.Orchestrator.Config;

/// <summary>One inference replica of an embedded run: its device and the model names placed there.</summary>
/// <param name="Device">cpu or cuda:N; null = the inference host's own default (MOCO_DEVICE, else auto).</param>
/// <param name="Models">The model names this replica serves: model_names entries in config order, then implied models.</param>
public sealed record ReplicaGroup(string? Device, IReadOnlyList<string> Models);

/// <summary>
/// The inference replicas an embedded run opens (config-and-cli.md §2.3): one per device its placement uses, in order
/// of first use, so each model stays resident on the device it was placed on. Calls are routed by model name, and a
/// model is resident once per replica, so a name placed on two devices (model_names ["a", "a"] over gpu_ids [0, 1])
/// runs where it was placed first. A method's implied models (a ranker, a fuser, a reward model) join the group of
/// the device their GPU index key maps to. The first group also serves every model no group lists: the evaluator's
/// judges, and models made at run time (until the affinity pin of the replica that made them takes over).
/// </summary>
public sealed record ReplicaPlan(IReadOnlyList<ReplicaGroup> Groups)
{
    /// <summary>One replica on <paramref name="device"/> serving every model (null: the host's default device).</summary>
    public static ReplicaPlan On(string? device) => new([new ReplicaGroup(device, [])]);

    /// <summary>The replicas of <paramref name="placement"/>, whose i-th device is that of <paramref name="modelNames"/>[i],
    /// and of the <paramref name="implied"/> models (<see cref="DevicePlacement.Implied"/>), placed after them.</summary>
    public static ReplicaPlan Of(DevicePlacement placement, IReadOnlyList<string> modelNames,
        IReadOnlyList<(string Key, string Name, string Device)>? implied = null)
    {
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(modelNames);
        if (placement.Models.Count != modelNames.Count)
        {
            throw new ArgumentException($"the placement has {placement.Models.Count} devices for {modelNames.Count} models", nameof(placement));
        }
        if (modelNames.Count == 0)
        {
            return On(placement.Replica);
        }
        var groups = new List<(string Device, List<string> Models)>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, device) in modelNames.Zip(placement.Models).Concat((implied ?? []).Select(m => (m.Name, m.Device))))
        {
            if (!placed.Add(name))
            {
                continue;
            }
            var index = groups.FindIndex(g => g.Device == device);
            if (index < 0)
            {
                groups.Add((device, []));
                index = groups.Count - 1;
            }
            groups[index].Models.Add(name);
        }
        return new ReplicaPlan([.. groups.Select(g => new ReplicaGroup(g.Device, g.Models))]);
    }

    /// <summary>The plan with each model also listed under the id its calls are sent with, where that differs (a
    /// path-rule name goes as its folder: <see cref="Engine.ModelAddresses"/>), as a gateway routing by it needs. Two
    /// names of one folder placed apart run where the first was placed, as one name would.</summary>
    public ReplicaPlan WithAddresses(Engine.ModelAddresses addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        return new([.. Groups.Select(g => g with { Models = [.. g.Models.SelectMany(m => new[] { m, addresses.Of(m) }).Where(listed.Add)] })]);
    }

    /// <summary>Whether the run needs more than one replica (and so a gateway routing between them).</summary>
    public bool Spread => Groups.Count > 1;

    /// <summary>The device <paramref name="model"/> runs on: its group's, else the first group's.</summary>
    public string? DeviceOf(string model) => (Groups.FirstOrDefault(g => g.Models.Contains(model, StringComparer.Ordinal)) ?? Groups[0]).Device;
}
