using Grpc.Core;

namespace MoCo.Contracts;

/// <summary>
/// The headers inference calls are routed by (contracts.md §9), one spelling for the clients that send them, the
/// gateway that routes by them and the inference service that answers with them.
/// </summary>
public static class RoutingHeaders
{
    /// <summary>Request header naming the model a call is for; the gateway picks the replica group serving it.
    /// Clients set it from the request (GenerateEnsemble: members[0]).</summary>
    public const string Model = "moco-model";

    /// <summary>Response header of every inference call naming the replica that answered, as an opaque value; sent
    /// back on a request, it pins the call to that replica while the replica is in rotation (a model made there at
    /// run time - Merge, Train, WriteModel - lives only there).</summary>
    public const string Replica = "moco-replica";

    /// <summary>The replica a response's <paramref name="headers"/> name (<see cref="Replica"/>); null when they name none.</summary>
    public static string? ReplicaOf(Metadata headers) =>
        headers.GetValue(Replica) is { Length: > 0 } replica ? replica : null;

    /// <summary>The metadata of a call routed by <paramref name="model"/>.</summary>
    public static Metadata For(string model) => new() { { Model, model } };
}
