using MoCo.Gateway.Configuration;
using MoCo.Hosting;
using Yarp.ReverseProxy.Configuration;

namespace MoCo.Gateway.Routing;

/// <summary>
/// The gateway's YARP configuration, held in memory and replaceable while the gateway runs: embedded mode and
/// tests point it at replicas started later, an operator tool could follow a scaling group. Resolve it from the
/// gateway host's services (<c>running.App.Services.GetRequiredService&lt;GatewayProxyConfig&gt;()</c>).
/// </summary>
public sealed class GatewayProxyConfig : IProxyConfigProvider
{
    private readonly InMemoryConfigProvider _provider;
    private readonly Lock _updating = new();
    private volatile GatewayTopology _topology;

    internal GatewayProxyConfig(GatewayTopology topology)
    {
        _topology = topology;
        var (routes, clusters) = ProxyConfigFactory.Build(topology);
        _provider = new InMemoryConfigProvider(routes, clusters);
    }

    /// <summary>The topology in force: which services are routed, to which replicas.</summary>
    internal GatewayTopology Topology => _topology;

    /// <summary>Routes to the replicas of <paramref name="options"/> from now on. Calls in flight finish where they
    /// are; replicas keep their health state when their address stays, new ones are probed within one interval.
    /// TLS settings are ignored: the listener is bound once.</summary>
    /// <exception cref="MocoConfigurationException">The options are invalid; the old configuration stays.</exception>
    public void Update(GatewayOptions options)
    {
        var topology = GatewayOptionsValidator.Validate(options);
        var (routes, clusters) = ProxyConfigFactory.Build(topology);
        lock (_updating)
        {
            _topology = topology;
            _provider.Update(routes, clusters);
        }
    }

    /// <inheritdoc/>
    public IProxyConfig GetConfig() => _provider.GetConfig();
}
