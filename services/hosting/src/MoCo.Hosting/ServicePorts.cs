namespace MoCo.Hosting;

/// <summary>A host's two listeners: gRPC over h2c and the HTTP/1.1 admin port (/healthz, /readyz, /metrics).
/// Plain-text Kestrel cannot offer HTTP/1.1 and HTTP/2 on one port, hence two. Port 0 = any free port.</summary>
public readonly record struct ServicePorts(int Grpc, int Admin)
{
    /// <summary>Defaults of contracts.md §9.</summary>
    public static readonly ServicePorts Gateway = new(50050, 9050);
    /// <inheritdoc cref="Gateway"/>
    public static readonly ServicePorts Inference = new(50051, 9051);
    /// <inheritdoc cref="Gateway"/>
    public static readonly ServicePorts Router = new(50052, 9052);
    /// <inheritdoc cref="Gateway"/>
    public static readonly ServicePorts Evaluator = new(50053, 9053);
    /// <inheritdoc cref="Gateway"/>
    public static readonly ServicePorts Orchestrator = new(50054, 9054);
    /// <summary>The code sandbox service (sandbox.proto), called by the evaluator only: the next pair after §9's.</summary>
    public static readonly ServicePorts Sandbox = new(50055, 9055);
    /// <summary>Free loopback ports, for embedded mode and tests.</summary>
    public static readonly ServicePorts Ephemeral = new(0, 0);
}
