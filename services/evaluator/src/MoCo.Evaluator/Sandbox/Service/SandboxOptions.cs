namespace MoCo.Evaluator.Sandbox.Service;

/// <summary>Sandbox service settings, bound from <c>Moco:Sandbox</c>; the limits of each program arrive per call.</summary>
public sealed class SandboxOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string Section = "Moco:Sandbox";

    /// <summary>This pod is the isolation boundary (gVisor where available, no egress, no service-account token, an
    /// emptyDir only: what the Helm chart's sandbox Deployment sets up), so where namespaces are unavailable programs
    /// run with rlimits, an unprivileged uid and the preamble (isolation "pod") instead of being refused.</summary>
    public bool PodIsolation { get; set; }

    /// <summary>First uid of programs when the service runs as root; one uid per program running at once.</summary>
    public int UidBase { get; set; } = 1_900_000_000;

    /// <summary>A file of the bearer tokens callers must present (one per line, each at least 32 characters, re-read
    /// when it changes; the evaluator sends Moco:Evaluator:SandboxToken); unset = no check, the network policy is the
    /// boundary. Use a token of its own, not the gateway's: this pod runs untrusted programs.</summary>
    public string? TokensFile { get; set; }

    /// <summary>Programs run at once by this replica, over all callers; the rest wait. Default the core count.</summary>
    public int MaxParallel { get; set; } = Environment.ProcessorCount;
}
