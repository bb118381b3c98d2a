namespace MoCo.Inference.Requests;

/// <summary>
/// Server limits on one request. contracts.md fixes only the message size (8 MiB, every host); the other bounds
/// are this server's, chosen so one call cannot hold a replica: a request beyond them is INVALID_ARGUMENT naming
/// the field and the limit, a result beyond the message size RESOURCE_EXHAUSTED MESSAGE_TOO_LARGE.
/// </summary>
public sealed record RequestLimits
{
    /// <summary>Largest gRPC message sent (MocoHostOptions.MaxMessageBytes).</summary>
    public int MaxMessageBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Most samples of one Generate call (GenerateRequest.n).</summary>
    public int MaxSamples { get; init; } = 128;

    /// <summary>Most stop strings of one request.</summary>
    public int MaxStopStrings { get; init; } = 64;

    /// <summary>Longest stop string, in UTF-16 code units.</summary>
    public int MaxStopStringLength { get; init; } = 1024;

    /// <summary>Most alternatives per generated token (LogprobOptions.top_k).</summary>
    public int MaxLogprobsTopK { get; init; } = 100;
}
