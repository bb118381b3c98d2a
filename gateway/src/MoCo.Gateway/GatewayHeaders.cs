namespace MoCo.Gateway;

/// <summary>The request and response headers the gateway routes by (contracts.md §9): MoCo.Contracts.RoutingHeaders'
/// names, spelled again here because the gateway does not reference the contracts. The gateway tests' clients send
/// RoutingHeaders, so a spelling that drifted would fail them.</summary>
public static class GatewayHeaders
{
    /// <summary>Request header naming the model an inference call is for; selects the replica group serving it.
    /// Client libraries set it from the request (GenerateEnsemble: members[0]).</summary>
    public const string Model = "moco-model";

    /// <summary>Response header of every inference call naming the replica that answered, as an opaque value.
    /// A client that created a model there (Merge, Train, WriteModel) sends it back on later calls naming that
    /// model, and the gateway pins them to that replica while it is in rotation.</summary>
    public const string Replica = "moco-replica";
}
