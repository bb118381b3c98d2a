namespace MoCo.Evaluator.Sandbox;

/// <summary>How programs are isolated (evaluation.md §4.2).</summary>
public enum SandboxMode
{
    /// <summary>Fresh mount, PID, network, IPC and UTS namespaces, a minimal read-only root with a tmpfs work folder,
    /// an unprivileged uid per program, rlimits and the preamble.</summary>
    Namespaces,
    /// <summary>rlimits, a new session and the preamble only (allow_weak_isolation; flag sandbox_weak); the uid is
    /// dropped when the evaluator runs as root.</summary>
    Weak,
    /// <summary>What <see cref="Weak"/> does, with the uid dropped, inside a sandbox pod that is itself the boundary
    /// (the sandbox service with Moco:Sandbox:PodIsolation: gVisor where available, no egress, no token, an emptyDir
    /// only). Not flagged sandbox_weak: it is the isolation evaluation.md §4.2 names for such clusters.</summary>
    Pod,
}
