namespace MoCo.Cli;

/// <summary>Process exit codes of config-and-cli.md §4.1.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>Failed after start (a service, a method, I/O).</summary>
    public const int Failed = 1;
    /// <summary>Usage error, invalid configuration, unknown name.</summary>
    public const int Usage = 2;
    /// <summary>Environment unavailable: a port, a device, a server.</summary>
    public const int Environment = 4;
    /// <summary>Interrupted by SIGINT.</summary>
    public const int Interrupted = 130;
}
