namespace MoCo.Cli.Embedded;

/// <summary>What `moco serve` was asked for, as configuration keys the modules read.</summary>
public sealed record ServeSettings
{
    /// <summary>Bind address of the listeners (the gateway's in embedded mode; backends then stay on loopback).</summary>
    public string? BindAddress { get; init; }
    /// <summary>gRPC port; null = the contract default.</summary>
    public int? GrpcPort { get; init; }
    /// <summary>Admin port; null = the contract default.</summary>
    public int? AdminPort { get; init; }
    /// <summary>Inference device (cpu, cuda:N, auto); null = MOCO_DEVICE, else auto.</summary>
    public string? Device { get; init; }
    /// <summary>Extra models folders searched before the defaults.</summary>
    public IReadOnlyList<string> ModelDirectories { get; init; } = [];
    /// <summary>Dataset folders the evaluator and the orchestrator search first.</summary>
    public IReadOnlyList<string> DataDirectories { get; init; } = [];
    /// <summary>The orchestrator's run store (SQLite path or PostgreSQL connection); null = MOCO_RUN_STORE, else the default.</summary>
    public string? RunStore { get; init; }
    /// <summary>Models the inference service loads at start.</summary>
    public IReadOnlyList<string> Preload { get; init; } = [];
    /// <summary>Warnings and errors only: embedded mode prints its own summary instead of every host's start lines.</summary>
    public bool QuietLogs { get; init; }

    /// <summary>The configuration overrides for one host.</summary>
    public Dictionary<string, string?> ToConfiguration(string? bind, int? grpcPort, int? adminPort)
    {
        var values = new Dictionary<string, string?>();
        if (bind is not null)
        {
            values["Moco:Host:BindAddress"] = bind;
        }
        if (grpcPort is not null)
        {
            values["Moco:Host:GrpcPort"] = grpcPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (adminPort is not null)
        {
            values["Moco:Host:AdminPort"] = adminPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (Device is not null)
        {
            values["Moco:Inference:Device"] = Device;
        }
        for (var i = 0; i < ModelDirectories.Count; i++)
        {
            values[$"Moco:Inference:ModelDirectories:{i}"] = Path.GetFullPath(ModelDirectories[i]);
        }
        for (var i = 0; i < DataDirectories.Count; i++)
        {
            var folder = Path.GetFullPath(DataDirectories[i]);
            values[$"Moco:Evaluator:DataDirectories:{i}"] = folder;
            values[$"Moco:Orchestrator:DataDirectories:{i}"] = folder;
        }
        if (RunStore is not null)
        {
            values["Moco:Orchestrator:RunStore"] = RunStore;
        }
        for (var i = 0; i < Preload.Count; i++)
        {
            values[$"Moco:Inference:Preload:{i}"] = Preload[i];
        }
        if (QuietLogs)
        {
            values["Logging:LogLevel:Default"] = "Warning";
            // A host that fails to start (a preload that cannot load) is reported by the command with its key and
            // fix; the generic host's own stack-trace line before it would only bury that.
            values["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "None";
        }
        return values;
    }
}
