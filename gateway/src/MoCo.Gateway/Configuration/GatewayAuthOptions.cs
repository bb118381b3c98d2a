namespace MoCo.Gateway.Configuration;

/// <summary>
/// Who may call through the gateway. With <see cref="TokensFile"/> set, every call but grpc.health.v1 must carry
/// <c>authorization: Bearer &lt;token&gt;</c> naming a token of that file (the CLI sends MOCO_SERVER_TOKEN, services
/// Moco:Host:GatewayToken); others get UNAUTHENTICATED. Unset: no check (the network is the boundary).
/// </summary>
public sealed class GatewayAuthOptions
{
    /// <summary>A file of accepted tokens, one per line (blank lines and lines starting with # ignored), each at least
    /// <see cref="Hosting.Security.BearerTokens.MinimumLength"/> characters. Re-read when it changes, so a rotated Kubernetes
    /// Secret takes effect without a restart.</summary>
    public string? TokensFile { get; set; }

    /// <summary>The setting's full key, as problems name it.</summary>
    public const string TokensFileKey = GatewayOptions.Section + ":" + nameof(GatewayOptions.Auth) + ":" + nameof(TokensFile);
}
