using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace MoCo.Hosting.Outbound;

/// <summary>
/// The retries of calls between services (architecture.md: retries of idempotent calls). Only UNAVAILABLE is retried:
/// the gateway answers it when a replica failed before answering or none is in rotation, and the transport when a
/// connection broke, so the call did not run. gRPC retries a call only until the first response arrives (and within its
/// buffer), so a stream that has begun is never replayed. StartRun is left out: a run the orchestrator began just before
/// its connection broke must not start twice (the CLI reports it; `moco runs list` finds it).
/// </summary>
internal static class CallRetries
{
    /// <summary>Attempts in all, the first included; with the backoff below they span about three seconds, longer than
    /// the gateway takes to pull a dead replica out of rotation (two failed probes, or its passive check at once).</summary>
    public const int MaxAttempts = 5;

    public static ServiceConfig ServiceConfig { get; } = new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = MaxAttempts,
                    InitialBackoff = TimeSpan.FromMilliseconds(200),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
            new MethodConfig { Names = { new MethodName { Service = "moco.v1.OrchestratorService", Method = "StartRun" } } },
        },
    };
}
