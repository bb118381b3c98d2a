using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Gateway.Routing;
using MoCo.Hosting.Security;

namespace MoCo.Gateway.Security;

/// <summary>Puts <see cref="BearerTokens"/> in front of endpoints: a call without an accepted
/// <c>authorization: Bearer</c> header is answered UNAUTHENTICATED by the gateway itself and never forwarded.</summary>
internal static class BearerCheck
{
    private const int Unauthenticated = 16;

    /// <summary>Requires a token on every endpoint <paramref name="builder"/> maps, when tokens are configured.</summary>
    public static TBuilder RequireBearerToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = context =>
            {
                var tokens = context.RequestServices.GetRequiredService<BearerTokens>();
                var presented = tokens.Required ? BearerTokens.Presented(context.Request.Headers.Authorization.ToString()) : null;
                if (!tokens.Required || presented is not null && tokens.Accepts(presented))
                {
                    return next(context);
                }
                var message = presented is null
                    ? "this gateway needs a bearer token: set MOCO_SERVER_TOKEN (the CLI) or Moco:Host:GatewayToken (a service) to a token of its Moco:Gateway:Auth:TokensFile"
                    : "the bearer token is not one this gateway accepts: check MOCO_SERVER_TOKEN or Moco:Host:GatewayToken against Moco:Gateway:Auth:TokensFile";
                GrpcTrailersOnly.Write(context, Unauthenticated, message);
                return Task.CompletedTask;
            };
        });
        return builder;
    }
}
