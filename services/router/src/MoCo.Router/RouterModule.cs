using MoCo.Contracts.V1;
using MoCo.Hosting;

namespace MoCo.Router;

/// <summary>The router service as a hostable module: moco.v1.RouterService on the default ports of contracts.md §9.</summary>
public sealed class RouterModule() : GrpcServiceModule<RouterGrpcService>(
    "router", RouterService.Descriptor.FullName, ServicePorts.Router, RouterCapabilities.Pending);
