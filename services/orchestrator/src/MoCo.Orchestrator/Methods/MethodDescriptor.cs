namespace MoCo.Orchestrator.Methods;

/// <summary>
/// A method as the registry knows it (config-and-cli.md §1.3, §3.2): config id, level, log-name suffix, its own
/// keys, the general keys it gives other defaults or ignores, documented aliases, how many models it takes, the
/// task types it fits, and the cross-key rules checked before any work. Validation and `--list-methods` read it;
/// the implementation (if built) is registered separately in <see cref="MethodRegistry"/>.
/// </summary>
public sealed record MethodDescriptor(string Id, MethodLevel Level, string LogSuffix, IReadOnlyList<ParamSpec> Keys)
{
    /// <summary>Fewest models.</summary>
    public int MinModels { get; init; } = 1;

    /// <summary>Most models; null = no limit.</summary>
    public int? MaxModels { get; init; }

    /// <summary>model_names must be distinct (their names key the log's maps); with <see cref="MinModels"/> this also
    /// counts distinct names (text_sparta needs three).</summary>
    public bool DistinctModels { get; init; }

    /// <summary>Task types the method can score; null = all.</summary>
    public IReadOnlySet<string>? TaskTypes { get; init; }

    /// <summary>General keys whose default this method replaces (§1.2 "own default in").</summary>
    public IReadOnlyDictionary<string, ParamDefault> GeneralDefaults { get; init; } = new Dictionary<string, ParamDefault>();

    /// <summary>General keys this method ignores (CFGW01 when written).</summary>
    public IReadOnlySet<string> IgnoredGeneralKeys { get; init; } = new HashSet<string>();

    /// <summary>Documented names the code ignores, accepted with CFGW02: alias → key (§1.4).</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    /// <summary>Cross-key rules (CFG010 and the like), run after every key has a valid value.</summary>
    public IReadOnlyList<Action<RuleContext>> Rules { get; init; } = [];

    /// <summary>The implementation version (config-and-cli.md §5.3): bumped when the method's behaviour changes.</summary>
    public int Version { get; init; } = 1;

    /// <summary>One line for `--list-methods`.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The key named <paramref name="name"/>, own or general; null when neither.</summary>
    public ParamSpec? Key(string name) => AllKeys.FirstOrDefault(k => k.Name == name);

    /// <summary>Every key the method accepts: its own, then the general keys.</summary>
    public IEnumerable<ParamSpec> AllKeys => Keys.Concat(GeneralKeys.All.Where(g => Keys.All(k => k.Name != g.Name)).Select(WithGeneralDefault));

    private ParamSpec WithGeneralDefault(ParamSpec general) =>
        GeneralDefaults.TryGetValue(general.Name, out var own) ? general with { Default = own } : general;
}
