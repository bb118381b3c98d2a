using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace MoCo.Gateway.Routing;

/// <summary>
/// Session affinity by the <c>moco-replica</c> header (contracts.md §9): every response of an affine cluster
/// names the replica that answered, and a request naming a replica in rotation goes there. The value is the
/// destination id in plain form. YARP's built-in CustomHeader policy encrypts it with ASP.NET Data Protection,
/// whose keys are per process unless shared through a key store: with several gateway replicas a value issued by
/// one would be unreadable by the next, and embedded mode would lose it on every restart. A replica address is
/// no secret (the moco-served-by header shows it anyway), and a forged value can only pick a replica the client
/// could have been balanced to, so plain is right here.
/// </summary>
internal sealed class ReplicaAffinityPolicy : ISessionAffinityPolicy
{
    /// <summary>Name clusters refer to in <see cref="SessionAffinityConfig.Policy"/>.</summary>
    public const string PolicyName = "MocoReplica";

    public string Name => PolicyName;

    public AffinityResult FindAffinitizedDestinations(HttpContext context, ClusterState cluster, SessionAffinityConfig config,
        IReadOnlyList<DestinationState> destinations)
    {
        var key = context.Request.Headers[config.AffinityKeyName].ToString();
        if (key.Length == 0)
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }
        // Only available destinations are offered: a replica out of rotation counts as not found, so the failure
        // policy (Redistribute) sends the call elsewhere and the caller gets NOT_FOUND for its model and rebuilds it.
        foreach (var destination in destinations)
        {
            if (string.Equals(destination.DestinationId, key, StringComparison.OrdinalIgnoreCase))
            {
                return new AffinityResult(destination, AffinityStatus.OK);
            }
        }
        return new AffinityResult(null, AffinityStatus.DestinationNotFound);
    }

    /// <summary>Stamps every response, not only those of new affinities as YARP's built-in policies do, so a
    /// redistributed call tells the client where its next calls should go. Runs as a response transform, after the
    /// backend's headers are copied and before the body, so streaming responses carry it in their headers.</summary>
    public void AffinitizeResponse(HttpContext context, ClusterState cluster, SessionAffinityConfig config, DestinationState destination) =>
        context.Response.Headers[config.AffinityKeyName] = destination.DestinationId;
}
